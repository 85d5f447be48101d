-- Proposal review in a diff tab: the file's buffer (left) against a scratch buffer holding the
-- proposed text (right, from skiff/proposal newText/baseText). Decide hunk by hunk (the hunk under
-- the cursor, mapped through the proposal's hunk ranges) or all at once; once every hunk is decided
-- the decisions go to the server in one skiff/resolveProposal, whose workspace/applyEdit Neovim's
-- default handler applies. The checks that travel with the proposal (its `verification`) are shown in
-- the winbar and announced when the tab opens, marked with DiagnosticWarn when they failed.
local client_mod = require("skiff.client")
local config = require("skiff.config")
local session = require("skiff.session")
local util = require("skiff.util")

local M = {}

local ns = vim.api.nvim_create_namespace("skiff.review")

---@class skiff.Review
---@field proposal table full proposal (skiff/proposal result)
---@field encoding string
---@field file_idx integer
---@field tab integer tabpage handle
---@field left_win integer
---@field right_win integer
---@field left_buf integer?
---@field right_buf integer?
---@field scratch integer[] scratch buffers to wipe on close
---@field mapped integer[] real buffers that got buffer-local mappings
---@field decisions table<string, "accept"|"reject">
---@field submitting boolean

---@type skiff.Review?
M.current = nil

local function hunks_of(file)
  return file.hunks or {}
end

local function all_hunks(p)
  local out = {}
  for _, f in ipairs(p.files or {}) do
    for _, h in ipairs(hunks_of(f)) do
      table.insert(out, h)
    end
  end
  return out
end

local function is_open()
  local r = M.current
  return r ~= nil and vim.api.nvim_tabpage_is_valid(r.tab)
end

--- True when the current tab is the review tab.
function M.in_review()
  return is_open() and vim.api.nvim_get_current_tabpage() == M.current.tab
end

--- The proposed text of a file with the rejected hunks left out.
local function proposed_text(r, file)
  if file.kind == "delete" then
    return ""
  end
  local base = file.baseText or ""
  local keep = {}
  for _, h in ipairs(hunks_of(file)) do
    if r.decisions[h.id] ~= "reject" then
      table.insert(keep, h)
    end
  end
  if #keep == #hunks_of(file) and file.newText then
    return file.newText
  end
  return util.apply_hunks(base, keep, r.encoding)
end

--- Spans of each hunk on the left (base) and right (proposed) side, 0-based rows.
local function spans(r, file)
  local left, right = {}, {}
  local sorted = vim.deepcopy(hunks_of(file))
  table.sort(sorted, function(a, b)
    if a.range.start.line ~= b.range.start.line then
      return a.range.start.line < b.range.start.line
    end
    return a.range.start.character < b.range.start.character
  end)
  local delta = 0
  for _, h in ipairs(sorted) do
    local ls = util.range_span(h.range)
    ls.id = h.id
    table.insert(left, ls)
    if r.decisions[h.id] ~= "reject" then
      local start = { line = h.range.start.line + delta, character = h.range.start.character }
      local rs = util.text_span(start, h.newText or "")
      rs.id = h.id
      table.insert(right, rs)
      delta = delta + util.count_newlines(h.newText or "") - util.count_newlines(h.oldText or "")
    end
  end
  return left, right
end

local function set_scratch_lines(buf, text)
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, text == "" and {} or util.text_to_lines(text))
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
end

local function scratch(r, name, text, ft)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].bufhidden = "wipe"
  vim.bo[buf].swapfile = false
  pcall(vim.api.nvim_buf_set_name, buf, name)
  set_scratch_lines(buf, text)
  if ft and ft ~= "" then
    vim.bo[buf].filetype = ft
  end
  table.insert(r.scratch, buf)
  return buf
end

local function counts(r)
  local a, j, p = 0, 0, 0
  for _, h in ipairs(all_hunks(r.proposal)) do
    local d = r.decisions[h.id]
    if d == "accept" then
      a = a + 1
    elseif d == "reject" then
      j = j + 1
    else
      p = p + 1
    end
  end
  return a, j, p
end

local function winbar_escape(s)
  return (s:gsub("%%", "%%%%"))
end

--- The winbar's pieces, most important first: the checks (highlighted), the proposal, the file, the
--- counts, then one key hint after another.
local function winbar_parts(r, file, a, j, p)
  local keys = config.options.review.keys
  local parts = {}
  local checks, _, checks_hl = util.checks_label(r.proposal.verification)
  if checks then
    table.insert(parts, { text = checks, hl = checks_hl })
  end
  table.insert(parts, { text = ("Skiff proposal %s"):format(r.proposal.id) })
  table.insert(parts, { text = ("%s (%d/%d)"):format(file.path or file.uri, r.file_idx, #r.proposal.files) })
  table.insert(parts, { text = ("%d accepted, %d rejected, %d pending"):format(a, j, p) })
  local hints = {
    { keys.accept, keys.reject, "hunk" },
    { keys.accept_all, keys.reject_all, "all" },
    { keys.submit, nil, "submit" },
    { keys.next_file, keys.prev_file, "file" },
    { keys.close, nil, "close" },
  }
  for _, h in ipairs(hints) do
    if h[1] and h[1] ~= "" then
      table.insert(parts, { text = ("%s%s %s"):format(h[1], h[2] and h[2] ~= "" and ("/" .. h[2]) or "", h[3]) })
    end
  end
  return parts
end

--- The winbar for a window `width` columns wide: the pieces that fit, in order (the first always; the
--- rest stop at the first that does not fit), so nothing is cut off mid-word at the edge.
local function fit_winbar(parts, width)
  local sep = " · "
  local used, out = 0, {}
  for i, part in ipairs(parts) do
    local w = vim.fn.strdisplaywidth(part.text) + (i > 1 and #sep or 0)
    if i > 1 and used + w > width then
      break
    end
    used = used + w
    local text = winbar_escape(part.text)
    table.insert(out, part.hl and ("%#" .. part.hl .. "#" .. text .. "%*") or text)
  end
  -- A window narrower than the first piece truncates it at its end.
  out[1] = out[1] .. "%<"
  return table.concat(out, sep)
end

--- Redraws decision marks and the winbar.
local function decorate(r)
  local file = r.proposal.files[r.file_idx]
  local left, right = spans(r, file)
  local label = { accept = "✓ accepted", reject = "✗ rejected" }
  local keys = config.options.review.keys
  for _, side in ipairs({ { buf = r.left_buf, spans = left }, { buf = r.right_buf, spans = right } }) do
    if side.buf and vim.api.nvim_buf_is_valid(side.buf) then
      vim.api.nvim_buf_clear_namespace(side.buf, ns, 0, -1)
      local count = vim.api.nvim_buf_line_count(side.buf)
      for _, s in ipairs(side.spans) do
        local d = r.decisions[s.id]
        local text = d and label[d] or ("hunk " .. s.id .. ": " .. keys.accept .. " accept · " .. keys.reject .. " reject")
        local row = math.max(0, math.min(s.first, count - 1))
        pcall(vim.api.nvim_buf_set_extmark, side.buf, ns, row, 0, {
          virt_text = { { "  " .. text, d == "accept" and "DiagnosticOk" or d == "reject" and "DiagnosticError" or "DiagnosticHint" } },
          virt_text_pos = "eol",
        })
      end
    end
  end
  local a, j, p = counts(r)
  local parts = winbar_parts(r, file, a, j, p)
  for _, win in ipairs({ r.left_win, r.right_win }) do
    if vim.api.nvim_win_is_valid(win) then
      vim.wo[win].winbar = fit_winbar(parts, vim.api.nvim_win_get_width(win))
    end
  end
end

--- The current review's winbar as it would be for a window `width` columns wide.
---@param width integer
---@return string?
function M.winbar_for(width)
  local r = M.current
  if not is_open() then
    return nil
  end
  return fit_winbar(winbar_parts(r, r.proposal.files[r.file_idx], counts(r)), width)
end

local function map_keys(r, buf, is_scratch)
  local k = config.options.review.keys
  local function map(lhs, fn, desc)
    if lhs and lhs ~= "" then
      vim.keymap.set("n", lhs, fn, { buffer = buf, nowait = true, desc = "Skiff review: " .. desc })
    end
  end
  map(k.accept, function()
    M.decide_at_cursor("accept")
  end, "accept hunk")
  map(k.reject, function()
    M.decide_at_cursor("reject")
  end, "reject hunk")
  map(k.accept_all, function()
    M.decide_all("accept")
  end, "accept all")
  map(k.reject_all, function()
    M.decide_all("reject")
  end, "reject all")
  map(k.submit, M.submit, "submit decisions (undecided hunks are rejected)")
  map(k.next_file, function()
    M.show_file(r.file_idx + 1)
  end, "next file")
  map(k.prev_file, function()
    M.show_file(r.file_idx - 1)
  end, "previous file")
  if is_scratch then
    map(k.close, M.close, "close")
  elseif not vim.tbl_contains(r.mapped, buf) then
    table.insert(r.mapped, buf)
  end
end

local function unmap_real(r)
  local k = config.options.review.keys
  for _, buf in ipairs(r.mapped) do
    if vim.api.nvim_buf_is_valid(buf) then
      for _, name in ipairs({ "accept", "reject", "accept_all", "reject_all", "submit", "next_file", "prev_file" }) do
        if k[name] and k[name] ~= "" then
          pcall(vim.keymap.del, "n", k[name], { buffer = buf })
        end
      end
      vim.api.nvim_buf_clear_namespace(buf, ns, 0, -1)
    end
  end
  r.mapped = {}
end

--- Shows file `idx` of the proposal in the review tab.
function M.show_file(idx)
  local r = M.current
  if not is_open() then
    return
  end
  local files = r.proposal.files or {}
  if #files == 0 then
    return
  end
  idx = ((idx - 1) % #files) + 1
  r.file_idx = idx
  local file = files[idx]
  for _, win in ipairs({ r.left_win, r.right_win }) do
    if vim.api.nvim_win_is_valid(win) then
      vim.api.nvim_win_call(win, function()
        vim.cmd("diffoff")
      end)
    end
  end

  local left
  if file.kind == "create" then
    left = scratch(r, ("skiff://proposal/%s/base/%s"):format(r.proposal.id, file.path or idx), "", nil)
  else
    left = vim.uri_to_bufnr(file.uri)
    vim.fn.bufload(left)
    vim.bo[left].buflisted = true
    local current = table.concat(vim.api.nvim_buf_get_lines(left, 0, -1, false), "\n") .. "\n"
    if file.baseText and current ~= file.baseText and current ~= file.baseText .. "\n" then
      util.warn(("%s changed since the proposal was made; the server rebases accepted hunks when they still apply"):format(file.path or file.uri))
    end
  end
  vim.api.nvim_win_set_buf(r.left_win, left)
  r.left_buf = left
  local ft = vim.bo[left].filetype
  if ft == "" then
    ft = vim.filetype.match({ filename = file.path or vim.uri_to_fname(file.uri) }) or ""
  end
  local right = scratch(r, ("skiff://proposal/%s/%s"):format(r.proposal.id, file.path or idx), proposed_text(r, file), ft)
  vim.api.nvim_win_set_buf(r.right_win, right)
  r.right_buf = right
  for _, win in ipairs({ r.left_win, r.right_win }) do
    vim.api.nvim_win_call(win, function()
      vim.cmd("diffthis")
    end)
    vim.wo[win].foldenable = false
  end
  map_keys(r, left, file.kind == "create")
  map_keys(r, right, true)
  decorate(r)
  -- Cursor on the first hunk of the proposed side.
  local _, rs = spans(r, file)
  if rs[1] then
    pcall(vim.api.nvim_win_set_cursor, r.right_win, { math.min(rs[1].first + 1, vim.api.nvim_buf_line_count(right)), 0 })
  end
end

--- Opens (or focuses) the review tab of proposal `id`.
---@param id string?
---@param cb fun(review: skiff.Review?)?
function M.open(id, cb)
  id = id or session.current_proposal_id()
  if not id then
    util.warn("no pending proposal")
    return
  end
  if is_open() and M.current.proposal.id == id then
    vim.api.nvim_set_current_tabpage(M.current.tab)
    if cb then
      cb(M.current)
    end
    return
  end
  client_mod.call("skiff/proposal", { id = id }, function(err, full)
    if err or not full then
      util.error(("proposal %s: %s"):format(id, util.format_err(err or "no result")))
      return
    end
    session.proposals[id] = vim.tbl_extend("force", session.proposals[id] or {}, full)
    if full.status ~= "pending" then
      util.warn(("proposal %s is already %s"):format(id, util.status_word(full.status)))
      return
    end
    if is_open() then
      M.close()
    end
    local client = client_mod.get()
    vim.cmd("tabnew")
    local tab = vim.api.nvim_get_current_tabpage()
    local placeholder = vim.api.nvim_get_current_buf()
    vim.bo[placeholder].bufhidden = "wipe"
    local left_win = vim.api.nvim_get_current_win()
    vim.cmd("rightbelow vsplit")
    local right_win = vim.api.nvim_get_current_win()
    M.current = {
      proposal = full,
      encoding = client and client.offset_encoding or "utf-16",
      file_idx = 1,
      tab = tab,
      left_win = left_win,
      right_win = right_win,
      scratch = {},
      mapped = {},
      decisions = {},
      submitting = false,
    }
    M.show_file(1)
    -- Fit the winbar again when the windows change size.
    vim.api.nvim_create_autocmd({ "WinResized", "VimResized" }, {
      group = vim.api.nvim_create_augroup("skiff.review", { clear = true }),
      callback = function()
        if is_open() then
          decorate(M.current)
        end
      end,
    })
    local checks, ok = util.checks_label(full.verification)
    if checks then
      local msg = ("proposal %s checks: %s"):format(id, checks)
      if ok then
        util.notify(msg)
      else
        util.warn(msg .. " (review before accepting)")
      end
    end
    vim.api.nvim_exec_autocmds("User", { pattern = "SkiffReviewOpen", modeline = false, data = { id = id } })
    if cb then
      cb(M.current)
    end
  end)
end

--- The hunk id under the cursor in the review tab.
---@return string?
function M.hunk_at_cursor()
  local r = M.current
  if not M.in_review() then
    return nil
  end
  local file = r.proposal.files[r.file_idx]
  local left, right = spans(r, file)
  local win = vim.api.nvim_get_current_win()
  local buf = vim.api.nvim_get_current_buf()
  local row = vim.api.nvim_win_get_cursor(win)[1] - 1
  if buf == r.left_buf then
    return util.span_at(left, row)
  elseif buf == r.right_buf then
    return util.span_at(right, row)
  end
  return nil
end

local function maybe_submit(r)
  local _, _, pending = counts(r)
  decorate(r)
  if pending == 0 then
    M.submit()
  end
end

--- Records a decision for the hunk under the cursor.
---@param decision "accept"|"reject"
function M.decide_at_cursor(decision)
  local r = M.current
  local id = M.hunk_at_cursor()
  if not id then
    util.warn("no hunk under the cursor (]c / [c move between hunks)")
    return
  end
  M.decide(id, decision)
end

--- Records a decision for hunk `id`; submits once every hunk is decided.
function M.decide(id, decision)
  local r = M.current
  if not is_open() or r.submitting then
    return
  end
  local before = r.decisions[id]
  r.decisions[id] = decision
  if (before == "reject") ~= (decision == "reject") then
    local file = r.proposal.files[r.file_idx]
    local cursor = vim.api.nvim_win_is_valid(r.right_win) and vim.api.nvim_win_get_cursor(r.right_win) or nil
    set_scratch_lines(r.right_buf, proposed_text(r, file))
    if cursor then
      pcall(vim.api.nvim_win_set_cursor, r.right_win, { math.min(cursor[1], vim.api.nvim_buf_line_count(r.right_buf)), 0 })
    end
    for _, win in ipairs({ r.left_win, r.right_win }) do
      if vim.api.nvim_win_is_valid(win) then
        vim.api.nvim_win_call(win, function()
          vim.cmd("diffupdate")
        end)
      end
    end
  end
  maybe_submit(r)
end

--- Decides every hunk of the proposal at once (and submits).
function M.decide_all(decision)
  local r = M.current
  if not is_open() or r.submitting then
    return
  end
  for _, h in ipairs(all_hunks(r.proposal)) do
    r.decisions[h.id] = decision
  end
  M.submit()
end

--- Sends the decisions: undecided hunks count as rejected.
function M.submit()
  local r = M.current
  if not is_open() or r.submitting then
    return
  end
  local accepted, total = {}, 0
  for _, h in ipairs(all_hunks(r.proposal)) do
    total = total + 1
    if r.decisions[h.id] == "accept" then
      table.insert(accepted, h.id)
    end
  end
  local accept
  if #accepted == 0 then
    accept = "none"
  elseif #accepted == total then
    accept = "all"
  else
    accept = accepted
  end
  r.submitting = true
  session.resolve(r.proposal.id, accept, function(err, result)
    r.submitting = false
    if err or (result and (result.status == "pending" or result.status == "conflict")) then
      return -- keep the tab open: the user can retry or close
    end
    if config.options.review.close_on_resolve and M.current == r then
      M.close()
    end
  end)
end

--- Closes the review tab (the proposal stays as it is on the server).
function M.close()
  local r = M.current
  if not r then
    return
  end
  M.current = nil
  pcall(vim.api.nvim_del_augroup_by_name, "skiff.review")
  unmap_real(r)
  if vim.api.nvim_tabpage_is_valid(r.tab) then
    for _, win in ipairs(vim.api.nvim_tabpage_list_wins(r.tab)) do
      vim.api.nvim_win_call(win, function()
        vim.cmd("diffoff")
      end)
      pcall(function()
        vim.wo[win].winbar = ""
      end)
    end
    if #vim.api.nvim_list_tabpages() > 1 then
      local nr = vim.api.nvim_tabpage_get_number(r.tab)
      pcall(vim.cmd, "tabclose " .. nr)
    end
  end
  for _, buf in ipairs(r.scratch) do
    if vim.api.nvim_buf_is_valid(buf) then
      pcall(vim.api.nvim_buf_delete, buf, { force = true })
    end
  end
  vim.api.nvim_exec_autocmds("User", { pattern = "SkiffReviewClose", modeline = false, data = { id = r.proposal.id } })
end

return M
