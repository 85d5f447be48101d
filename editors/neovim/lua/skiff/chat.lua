-- The chat buffer: a transcript of every turn (streamed text, tool calls, proposals) above a prompt
-- section. <CR> in normal mode sends the prompt section (or opens the review of the proposal line
-- under the cursor).
local config = require("skiff.config")
local util = require("skiff.util")

local M = {}

M.MARKER = "──── prompt · <CR> sends · :SkiffCancel stops ────"
M.bufnr = nil
--- Session continued by the chat buffer's prompt.
M.session_id = nil
--- Context buffer: the file buffer :SkiffChat was opened from.
M.source_bufnr = nil

local ns = vim.api.nvim_create_namespace("skiff.chat")
local marker_mark = nil
--- Which turn wrote last and in which mode ("text", "thought", "line"), to start headers/lines.
local tail = { turn = nil, mode = nil }
--- toolCallId -> extmark id of its line.
local tool_marks = {}

local function valid()
  return M.bufnr and vim.api.nvim_buf_is_valid(M.bufnr)
end

local function set_marker(row)
  marker_mark = vim.api.nvim_buf_set_extmark(M.bufnr, ns, row, 0, { id = marker_mark, right_gravity = false })
end

--- 0-based row of the prompt marker line (recreated at the end when the user deleted it).
local function marker_row()
  local b = M.bufnr
  if marker_mark then
    local pos = vim.api.nvim_buf_get_extmark_by_id(b, ns, marker_mark, {})
    if pos[1] and (vim.api.nvim_buf_get_lines(b, pos[1], pos[1] + 1, false)[1] or "") == M.MARKER then
      return pos[1]
    end
  end
  local lines = vim.api.nvim_buf_get_lines(b, 0, -1, false)
  for i = #lines, 1, -1 do
    if lines[i] == M.MARKER then
      set_marker(i - 1)
      return i - 1
    end
  end
  vim.api.nvim_buf_set_lines(b, -1, -1, false, { M.MARKER, "" })
  local row = vim.api.nvim_buf_line_count(b) - 2
  set_marker(row)
  return row
end

--- Creates the chat buffer if needed.
---@return integer
function M.buf()
  if valid() then
    return M.bufnr
  end
  local b = vim.api.nvim_create_buf(false, true)
  M.bufnr = b
  marker_mark = nil
  tool_marks = {}
  tail = { turn = nil, mode = nil }
  pcall(vim.api.nvim_buf_set_name, b, "skiff://chat")
  vim.bo[b].buftype = "nofile"
  vim.bo[b].bufhidden = "hide"
  vim.bo[b].swapfile = false
  vim.bo[b].filetype = "markdown"
  vim.api.nvim_buf_set_lines(b, 0, -1, false, { "# Skiff chat", "", M.MARKER, "" })
  set_marker(2)
  local keys = config.options.chat.keys or {}
  if keys.send then
    vim.keymap.set("n", keys.send, M.on_enter, { buffer = b, desc = "Skiff: send the prompt / review proposal" })
  end
  if keys.send_insert then
    vim.keymap.set("i", keys.send_insert, function()
      vim.cmd.stopinsert()
      vim.schedule(M.send_prompt)
    end, { buffer = b, desc = "Skiff: send the prompt" })
  end
  if keys.cancel then
    vim.keymap.set("n", keys.cancel, function()
      require("skiff").cancel()
    end, { buffer = b, desc = "Skiff: cancel" })
  end
  return b
end

--- Appends raw text at the end of the transcript (just above the marker); "\n" starts new lines.
local function write(text)
  if text == "" then
    return
  end
  local b = M.buf()
  local mr = marker_row()
  local last = mr - 1
  local cur = vim.api.nvim_buf_get_lines(b, last, last + 1, false)[1] or ""
  local parts = vim.split(cur .. text, "\n", { plain = true })
  vim.api.nvim_buf_set_lines(b, last, last + 1, false, parts)
  M.follow()
end

local function last_line()
  local mr = marker_row()
  return vim.api.nvim_buf_get_lines(M.bufnr, mr - 1, mr, false)[1] or ""
end

--- Ensures the transcript ends with an empty line to write a new line item on.
local function fresh_line()
  M.buf()
  if last_line() ~= "" then
    write("\n")
  end
end

--- Writes whole lines; returns the 0-based row of the first.
local function lines(list)
  fresh_line()
  local row = marker_row() - 1
  write(table.concat(list, "\n") .. "\n")
  return row
end

--- Keeps windows that are not being typed in scrolled to the newest output.
function M.follow()
  if not valid() then
    return
  end
  local cur = vim.api.nvim_get_current_win()
  for _, win in ipairs(vim.fn.win_findbuf(M.bufnr)) do
    if win ~= cur then
      local row = marker_row()
      pcall(vim.api.nvim_win_set_cursor, win, { row + 1, 0 })
    end
  end
end

local function short(id)
  return id and tostring(id):sub(1, 8) or "?"
end

local function header(turn)
  if turn.kind == "ask" then
    return { "", "## Ask " .. (turn.label or ""), turn.prompt, "", "## Skiff", "" }
  elseif turn.kind == "background" then
    return { "", "## Skiff (" .. (turn.label or "background") .. ", session " .. short(turn.session_id) .. ")", "" }
  end
  local out = { "", "## You" }
  vim.list_extend(out, vim.split(turn.prompt or "", "\n", { plain = true }))
  vim.list_extend(out, { "", "## Skiff", "" })
  return out
end

--- Makes `turn` the writer of the transcript tail; interleaved turns get a header line.
local function claim(turn, mode)
  if tail.turn ~= turn.id then
    if tail.turn ~= nil then
      lines({ "", "## Skiff (session " .. short(turn.session_id) .. ")" })
    end
    tail.turn = turn.id
    tail.mode = nil
  end
  if mode == "line" then
    fresh_line()
  elseif tail.mode ~= mode then
    fresh_line()
    if mode == "thought" then
      write("> ")
    end
  end
  tail.mode = mode
end

function M.turn_started(turn)
  M.buf()
  lines(header(turn))
  tail.turn = turn.id
  tail.mode = nil
end

--- Streams an agent message or thought chunk.
function M.stream(turn, text, mode)
  if text == "" then
    return
  end
  claim(turn, mode)
  if mode == "thought" then
    text = text:gsub("\n", "\n> ")
  end
  write(text)
end

local status_icon = { in_progress = "…", pending = "…", completed = "✓", failed = "✗" }

local function tool_line(call)
  local status = call.status or "in_progress"
  local line = ("[tool] %s (%s) %s %s"):format(call.title or call.toolCallId or "tool", call.kind or "other", status_icon[status] or "", util.status_word(status))
  if status ~= "in_progress" and type(call.content) == "table" and call.content[1] then
    local c = call.content[1]
    local text = c.content and c.content.text or c.text
    if text and text ~= "" then
      line = line .. " — " .. util.first_line(util.trim(text:gsub("\t", " ")), 60)
    end
  end
  return line
end

--- A tool call line, updated in place by tool_call_update.
function M.tool_call(turn, call)
  M.buf()
  local mark = tool_marks[call.toolCallId]
  if mark then
    local pos = vim.api.nvim_buf_get_extmark_by_id(M.bufnr, ns, mark, {})
    if pos[1] then
      vim.api.nvim_buf_set_lines(M.bufnr, pos[1], pos[1] + 1, false, { tool_line(call) })
      return
    end
  end
  claim(turn, "line")
  local row = lines({ tool_line(call) })
  tool_marks[call.toolCallId] = vim.api.nvim_buf_set_extmark(M.bufnr, ns, row, 0, {})
  tail.mode = "line"
end

function M.plan(turn, entries)
  claim(turn, "line")
  local out = { "[plan]" }
  local box = { completed = "[x]", in_progress = "[~]", pending = "[ ]" }
  for _, e in ipairs(entries) do
    table.insert(out, ("  - %s %s"):format(box[e.status] or "[ ]", e.content or ""))
  end
  lines(out)
end

function M.proposal(turn, p)
  claim(turn, "line")
  local n, paths = 0, {}
  for _, f in ipairs(p.files or {}) do
    n = n + #(f.hunks or {})
    table.insert(paths, f.path or f.uri)
  end
  local head = ("[proposal] %s %s · %d hunk%s in %s · "):format(
    p.id,
    p.summary and p.summary ~= "" and ("“" .. util.first_line(p.summary, 60) .. "”") or "",
    n,
    n == 1 and "" or "s",
    table.concat(paths, ", ")
  )
  local checks, _, hl = util.checks_label(p.verification)
  local row = lines({
    head .. (checks and (checks .. " · ") or "") .. "<CR> here or :SkiffReview to review, :SkiffAccept / :SkiffReject",
  })
  if checks then
    pcall(vim.api.nvim_buf_set_extmark, M.bufnr, ns, row, #head, { end_col = #head + #checks, hl_group = hl })
  end
end

--- Usage is shown once per turn, when it ends (updates arrive after every model call).
function M.usage(turn, u)
  turn.usage = u
end

local function usage_line(turn, u)
  local tps = u.tokensPerSecond and (" · %.1f tok/s"):format(u.tokensPerSecond) or ""
  local ctx = (u.contextUsed and u.contextLimit) and (" · context %d/%d"):format(u.contextUsed, u.contextLimit) or ""
  return ("[usage] %s prompt + %s completion tokens%s%s"):format(u.promptTokens or "?", u.completionTokens or "?", tps, ctx)
end

--- A line item for a turn.
function M.note_turn(turn, text)
  claim(turn, "line")
  lines(vim.split(text, "\n", { plain = true }))
end

--- A line item not tied to a running turn.
function M.note(_, text)
  M.buf()
  fresh_line()
  lines(vim.split(text, "\n", { plain = true }))
  tail.mode = "line"
end

function M.turn_finished(turn)
  if not valid() then
    return
  end
  if turn.usage and (turn.usage.completionTokens or 0) > 0 then
    M.note_turn(turn, usage_line(turn, turn.usage))
  end
  if turn.status == "cancelled" then
    M.note_turn(turn, "[cancelled]")
  elseif turn.status == "done" and turn.stop_reason == "error" then
    if not turn.error_noted then
      M.note_turn(turn, "[error] " .. (turn.error or "the turn failed"))
    end
  elseif turn.status == "done" and turn.stop_reason and turn.stop_reason ~= "end_turn" then
    M.note_turn(turn, "[" .. util.status_word(turn.stop_reason) .. "]")
  end
  if turn.kind == "chat" and turn.session_id then
    M.session_id = M.session_id or turn.session_id
  end
  if tail.turn == turn.id then
    fresh_line()
    tail.turn = nil
    tail.mode = nil
  end
end

--- The prompt section: every line below the marker.
---@return string
function M.prompt_text()
  local b = M.buf()
  local mr = marker_row()
  return util.trim(table.concat(vim.api.nvim_buf_get_lines(b, mr + 1, -1, false), "\n"))
end

--- Sends the prompt section as a turn of the chat's session.
function M.send_prompt()
  local text = M.prompt_text()
  if text == "" then
    util.warn("the prompt is empty: write it below the prompt line")
    return
  end
  M.send(text)
end

--- Sends `text` in the chat session; clears the prompt section.
function M.send(text)
  local session = require("skiff.session")
  if M.session_id and session.running_for(M.session_id) then
    util.warn("still answering (:SkiffCancel stops it)")
    return
  end
  for _, t in ipairs(session.running()) do
    if t.kind == "chat" and t.session_id == nil then
      util.warn("still answering (:SkiffCancel stops it)")
      return
    end
  end
  local b = M.buf()
  local mr = marker_row()
  vim.api.nvim_buf_set_lines(b, mr + 1, -1, false, { "" })
  local src = M.source_bufnr
  local bufnr = (src and util.is_file_buffer(src)) and src or nil
  require("skiff.client").with_client(bufnr, function(client)
    local context = nil
    if bufnr then
      context = {
        uri = vim.uri_from_bufnr(bufnr),
        diagnostics = util.lsp_diagnostics(bufnr, client.offset_encoding or "utf-16"),
      }
    end
    session.start(client, { kind = "chat", prompt = text, session_id = M.session_id, context = context, bufnr = bufnr })
  end)
end

--- <CR>: a proposal line opens its review; anywhere else sends the prompt section.
function M.on_enter()
  local line = vim.api.nvim_get_current_line()
  local id = line:match("^%[proposal%] (%S+)")
  if id then
    require("skiff.review").open(id)
    return
  end
  M.send_prompt()
end

--- Starts a new session for the next prompt.
function M.new_session()
  M.session_id = nil
  M.buf()
  M.note(nil, "──── new session ────")
end

--- Shows the chat buffer (focusing its window when visible) and puts the cursor in the prompt.
function M.open()
  local cur = vim.api.nvim_get_current_buf()
  if util.is_file_buffer(cur) then
    M.source_bufnr = cur
  end
  local b = M.buf()
  local wins = vim.fn.win_findbuf(b)
  if #wins > 0 then
    vim.api.nvim_set_current_win(wins[1])
  else
    local c = config.options.chat
    if c.position == "tab" then
      vim.cmd("tab split")
    elseif c.position == "bottom" then
      vim.cmd(("botright %dsplit"):format(math.max(5, math.floor((c.size or 70) / 4))))
    elseif c.position == "left" then
      vim.cmd(("topleft vertical %dsplit"):format(c.size or 70))
    else
      vim.cmd(("botright vertical %dsplit"):format(c.size or 70))
    end
    vim.api.nvim_win_set_buf(0, b)
    vim.wo.wrap = true
    vim.wo.linebreak = true
    vim.wo.number = false
  end
  local last = vim.api.nvim_buf_line_count(b)
  vim.api.nvim_win_set_cursor(0, { last, 0 })
end

return M
