-- Skiff for Neovim 0.11+: chat, ask-on-selection and per-hunk proposal review on top of the
-- `skiff serve` language server. See editors/neovim/README.md and docs/protocol.md.
local M = {}

M.version = "0.1.0"

local function mods()
  return require("skiff.client"), require("skiff.session"), require("skiff.util")
end

--- require("skiff").setup{ cmd = {...}, model = ..., filetypes = ..., ... }
---@param opts table?
function M.setup(opts)
  if vim.fn.has("nvim-0.11") == 0 then
    vim.notify("Skiff needs Neovim 0.11 or newer", vim.log.levels.ERROR)
    return
  end
  local config = require("skiff.config")
  config.set(opts)
  require("skiff.client").setup()
  require("skiff.commands").setup()
  local keys = config.options.keys or {}
  local function map(mode, lhs, rhs, desc)
    if lhs and lhs ~= "" then
      vim.keymap.set(mode, lhs, rhs, { desc = "Skiff: " .. desc })
    end
  end
  map("n", keys.ask, ":SkiffAsk ", "ask about the current line")
  map("x", keys.ask, ":SkiffAsk ", "ask about the selection")
  map("n", keys.chat, "<cmd>SkiffChat<cr>", "chat")
  map("n", keys.cancel, "<cmd>SkiffCancel<cr>", "cancel")
  map("n", keys.accept, "<cmd>SkiffAccept<cr>", "accept")
  map("n", keys.reject, "<cmd>SkiffReject<cr>", "reject")
  map("n", keys.model, "<cmd>SkiffModel<cr>", "choose the model")
  M._configured = true
end

--- Sends `instruction` with lines line1..line2 of the current buffer (and all its diagnostics).
---@param instruction string?
---@param range {line1: integer, line2: integer}?
function M.ask(instruction, range)
  local client_mod, session, util = mods()
  local bufnr = vim.api.nvim_get_current_buf()
  if not util.is_file_buffer(bufnr) then
    util.warn(":SkiffAsk works on a file buffer")
    return
  end
  local line1 = range and range.line1 or vim.fn.line(".")
  local line2 = range and range.line2 or line1
  if line2 < line1 then
    line1, line2 = line2, line1
  end
  local function go(text)
    if not text or util.trim(text) == "" then
      return
    end
    client_mod.with_client(bufnr, function(client)
      local enc = client.offset_encoding or "utf-16"
      local context = {
        uri = vim.uri_from_bufnr(bufnr),
        range = util.line_range(bufnr, line1, line2, enc),
        diagnostics = util.lsp_diagnostics(bufnr, enc),
      }
      local name = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":~:.")
      session.start(client, {
        kind = "ask",
        prompt = util.trim(text),
        context = context,
        bufnr = bufnr,
        label = ("%s:%d-%d"):format(name, line1, line2),
      })
    end)
  end
  if instruction and util.trim(instruction) ~= "" then
    go(instruction)
  else
    vim.ui.input({ prompt = "Skiff: " }, go)
  end
end

--- Opens the chat buffer; with `text`, sends it. opts.new starts a new session.
function M.chat(text, opts)
  local chat = require("skiff.chat")
  chat.open()
  if opts and opts.new then
    chat.new_session()
  end
  if text and text ~= "" then
    chat.send(text)
  end
end

--- Cancels every running turn.
function M.cancel()
  local _, session, util = mods()
  local n = session.cancel()
  if n == 0 then
    util.notify("nothing is running")
  end
  return n
end

local function resolve_whole(id, accept)
  local _, session, util = mods()
  id = id or session.current_proposal_id()
  if not id then
    util.warn("no pending proposal")
    return
  end
  session.resolve(id, accept, function(err)
    local review = require("skiff.review")
    if not err and review.current and review.current.proposal.id == id then
      review.close()
    end
  end)
end

--- Accepts the proposal (`id` or the current one); in the review tab the hunk under the cursor, or
--- every hunk with opts.all.
function M.accept(id, opts)
  local review = require("skiff.review")
  if review.in_review() and not id then
    if opts and opts.all then
      review.decide_all("accept")
    else
      review.decide_at_cursor("accept")
    end
    return
  end
  resolve_whole(id, "all")
end

function M.reject(id, opts)
  local review = require("skiff.review")
  if review.in_review() and not id then
    if opts and opts.all then
      review.decide_all("reject")
    else
      review.decide_at_cursor("reject")
    end
    return
  end
  resolve_whole(id, "none")
end

--- Undoes an applied proposal (`id` or the last applied one).
function M.undo(id)
  local _, session, util = mods()
  id = id or session.last_applied_id()
  if not id then
    util.warn("no applied proposal to undo")
    return
  end
  session.undo(id)
end

function M.review(id)
  require("skiff.review").open(id)
end

--- Picks a model with vim.ui.select over skiff/models, then skiff/setModel.
---@param id string?
function M.model(id)
  local client_mod, _, util = mods()
  local function set(model)
    client_mod.call("skiff/setModel", { model = model }, function(err, result)
      if err then
        util.error("setModel: " .. util.format_err(err))
        return
      end
      local chosen = result and result.model or model
      local client = client_mod.get()
      if client and type(client.settings) == "table" and type(client.settings.skiff) == "table" then
        client.settings.skiff.model = chosen
      end
      util.notify("model: " .. chosen)
    end)
  end
  if id then
    set(id)
    return
  end
  client_mod.call("skiff/models", vim.empty_dict(), function(err, result)
    if err or not result then
      util.error("models: " .. util.format_err(err or "no result"))
      return
    end
    local models = result.models or {}
    M._model_ids = vim.tbl_map(function(m)
      return m.id
    end, models)
    vim.ui.select(models, {
      prompt = "Skiff model",
      format_item = function(m)
        local mark = m.id == result.current and "● " or "  "
        local limit = m.contextLimit or m.contextWindow
        local ctx = limit and (" · " .. limit .. " ctx") or ""
        -- served: a local server (llama.cpp, Ollama, LM Studio) answered with it just now.
        local where = m.served and " · running locally" or (m.discovered and " · found locally" or "")
        return mark .. m.id .. (m.name and m.name ~= m.id and (" — " .. m.name) or "") .. ctx .. where
      end,
    }, function(choice)
      if choice then
        set(choice.id)
      end
    end)
  end)
end

--- Shows skiff/status.
function M.status()
  local client_mod, _, util = mods()
  client_mod.call("skiff/status", vim.empty_dict(), function(err, s)
    if err or not s then
      util.error("status: " .. util.format_err(err or "no result"))
      return
    end
    util.notify(
      ("version %s · model %s · %s · context %s/%s%s"):format(
        tostring(s.version),
        tostring(s.model),
        s.busy and "busy" or "idle",
        tostring(s.contextUsed or "?"),
        tostring(s.contextLimit or "?"),
        s.tokensPerSecond and (" · %.1f tok/s"):format(s.tokensPerSecond) or ""
      )
    )
  end)
end

--- For 'statusline': progress of the running turn, "" when idle.
---@return string
function M.statusline()
  local ok, client_mod = pcall(require, "skiff.client")
  if not ok then
    return ""
  end
  for _, v in pairs(client_mod.progress) do
    local s = "skiff: " .. (v.title or "working")
    if v.message and v.message ~= "" then
      s = s .. " " .. v.message
    end
    if v.percentage then
      s = s .. (" %d%%"):format(v.percentage)
    end
    return s
  end
  local session = package.loaded["skiff.session"]
  if session and #session.running() > 0 then
    return "skiff: working…"
  end
  return ""
end

return M
