-- Turns (skiff/chat requests), their skiff/update stream, and the proposals they produce.
local client_mod = require("skiff.client")
local config = require("skiff.config")
local util = require("skiff.util")

local M = {}

---@class skiff.Turn
---@field id integer local turn number
---@field kind "chat"|"ask"|"background"
---@field session_id string?
---@field request_id integer?
---@field client_id integer
---@field prompt string
---@field label string?
---@field token string workDoneToken
---@field status "running"|"cancelling"|"done"|"cancelled"|"error"
---@field stop_reason string?
---@field text string streamed agent text
---@field error string?
---@field proposals string[]
---@field tool_calls table<string, table>
---@field usage table?

---@type skiff.Turn[]
M.turns = {}
--- Proposal objects by id (from skiff/update, refreshed by skiff/proposal and resolve results).
M.proposals = {}
--- Proposal ids in arrival order.
M.proposal_order = {}
--- Latest usage update.
M.usage = nil

local next_id = 0

local function emit(pattern, data)
  vim.api.nvim_exec_autocmds("User", { pattern = pattern, modeline = false, data = data })
end

local function chat()
  return require("skiff.chat")
end

---@return skiff.Turn[]
function M.running()
  local out = {}
  for _, t in ipairs(M.turns) do
    if t.status == "running" or t.status == "cancelling" then
      table.insert(out, t)
    end
  end
  return out
end

---@param session_id string
---@return skiff.Turn?
function M.running_for(session_id)
  for _, t in ipairs(M.turns) do
    if t.session_id == session_id and (t.status == "running" or t.status == "cancelling") then
      return t
    end
  end
  return nil
end

--- Sends skiff/chat. opts: kind, prompt, session_id?, context?, bufnr?, label?
---@return skiff.Turn?
function M.start(client, opts)
  if opts.session_id and M.running_for(opts.session_id) then
    util.warn("this session is still answering (:SkiffCancel stops it)")
    return nil
  end
  next_id = next_id + 1
  ---@type skiff.Turn
  local turn = {
    id = next_id,
    kind = opts.kind or "chat",
    session_id = opts.session_id,
    client_id = client.id,
    prompt = opts.prompt,
    label = opts.label,
    token = ("skiff-nvim-%d-%d"):format(vim.fn.getpid(), next_id),
    status = "running",
    text = "",
    proposals = {},
    tool_calls = {},
  }
  table.insert(M.turns, turn)
  chat().turn_started(turn)
  emit("SkiffTurnStart", { turn = turn.id })
  local params = { prompt = opts.prompt, workDoneToken = turn.token }
  if opts.session_id then
    params.sessionId = opts.session_id
  end
  if opts.context then
    params.context = opts.context
  end
  turn.request_id = client_mod.request(client, "skiff/chat", params, function(err, result)
    M.finish(turn, err, result)
  end, opts.bufnr)
  return turn
end

local function chat_visible()
  local c = package.loaded["skiff.chat"]
  return c ~= nil and c.bufnr ~= nil and vim.api.nvim_buf_is_valid(c.bufnr) and #vim.fn.win_findbuf(c.bufnr) > 0
end

--- Says why a turn did not finish normally where the user looks: the chat shows it for a chat turn on
--- screen; every other turn (:SkiffAsk, code actions, a hidden chat) gets a notification.
---@param turn skiff.Turn
local function report_end(turn)
  if turn.kind == "chat" and chat_visible() then
    return
  end
  if turn.status == "cancelled" then
    util.notify("cancelled" .. (turn.label and (" (" .. turn.label .. ")") or ""))
  elseif turn.stop_reason == "error" or turn.status == "error" then
    util.error(turn.error or "the request failed; :SkiffChat shows what happened")
  elseif turn.stop_reason and turn.stop_reason ~= "end_turn" then
    util.warn(util.status_word(turn.stop_reason))
  end
end

---@param turn skiff.Turn
function M.finish(turn, err, result)
  if turn.status ~= "running" and turn.status ~= "cancelling" then
    return
  end
  if err then
    if err.code == -32800 then
      turn.status = "cancelled"
    else
      turn.status = "error"
      turn.error = util.format_err(err)
      turn.error_noted = true
      chat().note_turn(turn, "[error] " .. turn.error)
    end
    report_end(turn)
  else
    result = result or {}
    turn.status = "done"
    turn.stop_reason = result.stopReason
    if result.sessionId and not turn.session_id then
      turn.session_id = result.sessionId
    end
    for _, pid in ipairs(result.proposalIds or {}) do
      if not vim.tbl_contains(turn.proposals, pid) then
        table.insert(turn.proposals, pid)
      end
    end
    if result.usage then
      turn.usage = vim.tbl_extend("force", turn.usage or {}, result.usage)
    end
    if type(result.error) == "string" and result.error ~= "" then
      turn.error = result.error -- the reason and its fix (docs/protocol.md, skiff/chat)
    end
    if result.stopReason ~= "end_turn" then
      report_end(turn)
    elseif turn.kind == "ask" and #turn.proposals == 0 and util.trim(turn.text) ~= "" then
      util.notify(util.trim(turn.text))
    end
  end
  chat().turn_finished(turn)
  emit("SkiffTurnDone", { turn = turn.id, status = turn.status })
  pcall(vim.cmd.redrawstatus)
end

--- A skiff/chat request got its response or cancellation ack. A cancelled request never reaches its
--- callback (Neovim drops -32800 responses), so a turn still running after the callbacks that are
--- queued by now is a cancelled one.
function M.on_request_complete(client_id, request_id)
  for _, t in ipairs(M.turns) do
    if t.client_id == client_id and t.request_id == request_id then
      vim.schedule(function()
        if t.status == "running" or t.status == "cancelling" then
          t.status = "cancelling"
          M.finish(t, { code = -32800, message = "cancelled" })
        end
      end)
      return
    end
  end
end

--- The turn a skiff/update belongs to. A new session's id is learned from its first update.
local function turn_for(session_id, client_id)
  for _, t in ipairs(M.turns) do
    if t.session_id == session_id and t.client_id == client_id and (t.status == "running" or t.status == "cancelling") then
      return t
    end
  end
  for _, t in ipairs(M.turns) do
    if t.session_id == nil and t.client_id == client_id and t.status == "running" then
      t.session_id = session_id
      return t
    end
  end
  -- Turns the editor did not start (code actions run through workspace/executeCommand).
  for i = #M.turns, 1, -1 do
    local t = M.turns[i]
    if t.kind == "background" and t.session_id == session_id and t.status == "running" then
      return t
    end
  end
  next_id = next_id + 1
  local turn = {
    id = next_id,
    kind = "background",
    session_id = session_id,
    client_id = client_id,
    prompt = "",
    label = "background task",
    token = "",
    status = "running",
    text = "",
    proposals = {},
    tool_calls = {},
  }
  table.insert(M.turns, turn)
  chat().turn_started(turn)
  return turn
end

--- skiff/update notification.
function M.on_update(params, client_id)
  if type(params) ~= "table" or type(params.update) ~= "table" then
    return
  end
  local u = params.update
  local kind = u.sessionUpdate
  local turn = turn_for(params.sessionId, client_id)
  local c = chat()
  if kind == "agent_message_chunk" then
    local text = u.content and u.content.text or ""
    turn.text = turn.text .. text
    c.stream(turn, text, "text")
  elseif kind == "agent_thought_chunk" then
    c.stream(turn, u.content and u.content.text or "", "thought")
  elseif kind == "tool_call" then
    turn.tool_calls[u.toolCallId] = u
    c.tool_call(turn, u)
  elseif kind == "tool_call_update" then
    local call = turn.tool_calls[u.toolCallId] or { toolCallId = u.toolCallId }
    call.status = u.status or call.status
    call.content = u.content
    turn.tool_calls[u.toolCallId] = call
    c.tool_call(turn, call)
  elseif kind == "plan" then
    c.plan(turn, u.entries or {})
  elseif kind == "proposal" and type(u.proposal) == "table" then
    local p = u.proposal
    M.proposals[p.id] = p
    if not vim.tbl_contains(M.proposal_order, p.id) then
      table.insert(M.proposal_order, p.id)
    end
    if not vim.tbl_contains(turn.proposals, p.id) then
      table.insert(turn.proposals, p.id)
    end
    c.proposal(turn, p)
    emit("SkiffProposal", { id = p.id, turn = turn.id })
    local auto = config.options.auto_review
    if p.status == "pending" and (auto == "always" or (auto == "ask" and turn.kind == "ask")) then
      vim.schedule(function()
        require("skiff.review").open(p.id)
      end)
    end
  elseif kind == "usage" then
    M.usage = u
    c.usage(turn, u)
  elseif kind == "mechanism" then
    c.note_turn(turn, ("[mechanism] %s%s"):format(u.mechanism or "?", u.detail and (": " .. u.detail) or ""))
  elseif kind == "error" then
    turn.error = u.message
    turn.error_noted = true
    c.note_turn(turn, "[error] " .. tostring(u.message))
  end
  emit("SkiffUpdate", { turn = turn.id, kind = kind })
  pcall(vim.cmd.redrawstatus)
end

--- Cancels running turns (all of them, or those of `session_id`).
---@param session_id string?
---@return integer number of turns asked to stop
function M.cancel(session_id)
  local n = 0
  for _, t in ipairs(M.running()) do
    if (session_id == nil or t.session_id == session_id) and t.status == "running" then
      n = n + 1
      t.status = "cancelling"
      local client = vim.lsp.get_client_by_id(t.client_id)
      if client then
        if t.session_id then
          client_mod.request(client, "skiff/cancel", { sessionId = t.session_id }, function(err)
            if err then
              util.warn("skiff/cancel failed: " .. util.format_err(err))
            end
          end)
        end
        -- $/cancelRequest as well: covers a turn whose session id is not known yet.
        if t.request_id then
          client:cancel_request(t.request_id)
        end
      end
      -- If the server never acknowledges, do not leave the turn hanging.
      vim.defer_fn(function()
        if t.status == "cancelling" then
          M.finish(t, { code = -32800, message = "cancelled" })
        end
      end, 10000)
    end
  end
  return n
end

--- The proposal the user most likely means: on the chat line under the cursor, else the newest
--- pending one touching the current buffer, else the newest pending one.
---@return string?
function M.current_proposal_id()
  local line = vim.api.nvim_get_current_line()
  local id = line:match("^%[proposal%] (%S+)")
  if id and M.proposals[id] then
    return id
  end
  local uri = vim.uri_from_bufnr(0)
  local fallback = nil
  for i = #M.proposal_order, 1, -1 do
    local p = M.proposals[M.proposal_order[i]]
    if p and p.status == "pending" then
      fallback = fallback or p.id
      for _, f in ipairs(p.files or {}) do
        if f.uri == uri then
          return p.id
        end
      end
    end
  end
  return fallback
end

---@return string?
function M.last_applied_id()
  for i = #M.proposal_order, 1, -1 do
    local p = M.proposals[M.proposal_order[i]]
    if p and (p.status == "applied" or p.status == "partially_applied") then
      return p.id
    end
  end
  return nil
end

local function set_status(id, status)
  local p = M.proposals[id]
  if p and status then
    p.status = status
  end
end

--- skiff/resolveProposal. accept: "all" | "none" | hunk ids.
---@param id string
---@param accept string|string[]
---@param cb fun(err: table?, result: table?)?
function M.resolve(id, accept, cb)
  client_mod.call("skiff/resolveProposal", { id = id, accept = accept }, function(err, result)
    if err then
      util.error(("proposal %s: %s"):format(id, util.format_err(err)))
    else
      result = result or {}
      -- "conflict": nothing was applied (a hunk no longer fits where it was reviewed); still pending
      set_status(id, result.status == "conflict" and "pending" or result.status)
      local msg
      if result.message then
        msg = ("proposal %s: %s"):format(id, result.message)
        util.warn(msg)
      else
        msg = ("proposal %s %s%s"):format(
          id,
          result.status and util.status_word(result.status) or "resolved",
          (result.appliedHunks and #result.appliedHunks > 0) and (" (" .. table.concat(result.appliedHunks, ", ") .. ")") or ""
        )
        -- What was accepted carries its checks: a failing one is echoed as a warning.
        local applied = result.status == "applied" or result.status == "partially_applied"
        local checks, ok = util.checks_label(applied and M.proposals[id] and M.proposals[id].verification or nil)
        if checks then
          msg = msg .. " · checks: " .. checks
        end
        util.notify(msg, checks and not ok and vim.log.levels.WARN or nil)
      end
      chat().note(M.proposals[id] and M.proposals[id].sessionId, "[proposal] " .. msg)
      emit("SkiffProposalResolved", { id = id, status = result.status, result = result })
    end
    if cb then
      cb(err, result)
    end
  end)
end

---@param id string
function M.undo(id, cb)
  client_mod.call("skiff/undoProposal", { id = id }, function(err, result)
    if err then
      util.error(("undo %s: %s"):format(id, util.format_err(err)))
    else
      set_status(id, result and result.status or "undone")
      util.notify(("proposal %s undone"):format(id))
      chat().note(M.proposals[id] and M.proposals[id].sessionId, ("[proposal] %s undone"):format(id))
      emit("SkiffProposalResolved", { id = id, status = "undone", result = result })
    end
    if cb then
      cb(err, result)
    end
  end)
end

return M
