-- Shared helpers for the headless Neovim tests (run by tests/test_neovim.py with
-- `nvim --headless --clean -u NONE -l <script>`). Environment:
--   SKIFF_NVIM_PLUGIN  path of editors/neovim (added to 'runtimepath')
--   SKIFF_TEST_CMD     JSON list: the server command
--   SKIFF_MODELS_FILE  models.json with the scripted test models (read by the server)
-- The current directory is the workspace with the fixture files.
local H = {}

local function dump_state()
  local out = {}
  local chat = package.loaded["skiff.chat"]
  if chat and chat.bufnr and vim.api.nvim_buf_is_valid(chat.bufnr) then
    table.insert(out, "--- chat buffer ---")
    vim.list_extend(out, vim.api.nvim_buf_get_lines(chat.bufnr, 0, -1, false))
  end
  local session = package.loaded["skiff.session"]
  if session then
    table.insert(out, "--- turns ---")
    for _, t in ipairs(session.turns) do
      table.insert(out, ("turn %d kind=%s status=%s session=%s error=%s"):format(t.id, t.kind, t.status, tostring(t.session_id), tostring(t.error)))
    end
  end
  table.insert(out, "--- :messages ---")
  table.insert(out, vim.fn.execute("messages"))
  return table.concat(out, "\n")
end

--- Fails the test: message on stderr, exit status 1.
function H.fail(msg)
  io.stderr:write("FAIL: " .. tostring(msg) .. "\n" .. dump_state() .. "\n")
  io.stderr:flush()
  vim.cmd("cquit 1")
end

function H.wait(timeout_ms, cond, what)
  if not vim.wait(timeout_ms, cond, 10) then
    H.fail(("timed out after %d ms waiting for %s"):format(timeout_ms, what))
  end
end

function H.eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    H.fail(("%s:\n  expected %s\n  got      %s"):format(what, vim.inspect(expected), vim.inspect(actual)))
  end
end

function H.ok(cond, what)
  if not cond then
    H.fail(what)
  end
end

--- Loads the plugin from SKIFF_NVIM_PLUGIN and calls setup with the test server command.
function H.setup(opts)
  local plugin = (assert(os.getenv("SKIFF_NVIM_PLUGIN"), "SKIFF_NVIM_PLUGIN is not set"))
  vim.opt.runtimepath:prepend(plugin)
  local cmd = vim.json.decode((assert(os.getenv("SKIFF_TEST_CMD"), "SKIFF_TEST_CMD is not set")))
  require("skiff").setup(vim.tbl_deep_extend("force", { cmd = cmd, progress = "none" }, opts or {}))
end

--- Opens a workspace file and waits until the Skiff client is attached to it.
function H.open(path)
  vim.cmd.edit(path)
  local buf = vim.api.nvim_get_current_buf()
  H.wait(20000, function()
    local c = require("skiff.client").get()
    return c ~= nil and c.initialized and vim.lsp.buf_is_attached(buf, c.id)
  end, "the Skiff server to start and attach to " .. path)
  return buf
end

--- Records the params of every request the plugin sends.
function H.record_requests()
  local client_mod = require("skiff.client")
  local sent = {}
  local orig = client_mod.request
  client_mod.request = function(client, method, params, cb, bufnr)
    table.insert(sent, { method = method, params = vim.deepcopy(params) })
    return orig(client, method, params, cb, bufnr)
  end
  return sent
end

--- The params of the last recorded request for `method`, or nil.
function H.last_params(sent, method)
  for i = #sent, 1, -1 do
    if sent[i].method == method then
      return sent[i].params
    end
  end
  return nil
end

--- Records every vim.notify call as { msg = ..., level = ... } (the messages are still shown).
function H.record_notes()
  local notes = {}
  local notify = vim.notify
  vim.notify = function(msg, level, opts)
    table.insert(notes, { msg = msg, level = level })
    return notify(msg, level, opts)
  end
  return notes
end

--- The first recorded note containing `needle` (plain), at `level` if given, or nil.
function H.find_note(notes, needle, level)
  for _, n in ipairs(notes) do
    if n.msg:find(needle, 1, true) and (level == nil or n.level == level) then
      return n
    end
  end
  return nil
end

--- Runs the :SkiffAsk command line `cmd` and waits for the review tab; returns skiff.review's current review.
function H.ask_review(cmd)
  local review = require("skiff.review")
  vim.cmd(cmd)
  H.wait(20000, function()
    return review.in_review()
  end, "the review tab to open")
  return review.current
end

--- Waits until the session has `n` turns and the last one is no longer running; returns it.
function H.wait_turn(n, timeout_ms, what)
  local session = require("skiff.session")
  H.wait(timeout_ms, function()
    return #session.turns == n and session.turns[n].status ~= "running"
  end, what)
  return session.turns[n]
end

--- Waits until proposal `id` has `status`; with `closed`, also until its review tab has closed.
function H.wait_proposal(id, status, what, closed)
  local session = require("skiff.session")
  H.wait(15000, function()
    local p = session.proposals[id]
    return p ~= nil and p.status == status and (not closed or require("skiff.review").current == nil)
  end, what)
end

--- Runs :checkhealth skiff; returns the report's text.
function H.checkhealth()
  vim.cmd("checkhealth skiff")
  return table.concat(H.buf_lines(0), "\n")
end

function H.buf_lines(buf)
  return vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

--- Index of the first line at or after `from` containing `needle` (plain), or nil.
function H.find_line(lines, needle, from)
  for i = from or 1, #lines do
    if lines[i]:find(needle, 1, true) then
      return i
    end
  end
  return nil
end

--- Runs the test body; any Lua error fails the test.
function H.run(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if not ok then
    H.fail(name .. ": " .. tostring(err))
  end
  io.stdout:write("PASS " .. name .. "\n")
  io.stdout:flush()
  vim.cmd("qall!")
end

return H
