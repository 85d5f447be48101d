-- Starting, finding and talking to the Skiff language server (vim.lsp.config / vim.lsp.start).
local config = require("skiff.config")
local util = require("skiff.util")

local M = {}

M.name = "skiff"
--- Latest $/progress value per token of a skiff client (for the statusline).
M.progress = {}

local augroup = vim.api.nvim_create_augroup("skiff.client", { clear = true })

--- The workspace root for a buffer: setup's root_dir, else found upwards with root_markers, else cwd.
---@param bufnr integer?
---@return string
function M.root_for(bufnr)
  local o = config.options
  if o.root_dir then
    return vim.fs.normalize(vim.fn.fnamemodify(o.root_dir, ":p")):gsub("/$", "")
  end
  if bufnr and util.is_file_buffer(bufnr) and o.root_markers and #o.root_markers > 0 then
    local root = vim.fs.root(bufnr, o.root_markers)
    if root then
      return root
    end
  end
  return vim.fn.getcwd()
end

--- Answers skiff/requestPermission (server -> client request). Neovim runs server-request handlers
--- inside a coroutine, so we can wait for vim.ui.select without blocking the editor.
local function permission_handler(_, params, _)
  params = params or {}
  local policy = config.options.permission
  local options = params.options or {}
  local function outcome(option_id)
    local chat = package.loaded["skiff.chat"]
    if chat then
      local title = params.toolCall and params.toolCall.title or "tool call"
      chat.note(params.sessionId, ("[permission] %s -> %s"):format(title, option_id or "rejected"))
    end
    if option_id then
      return { outcome = { outcome = "selected", optionId = option_id } }
    end
    return { outcome = { outcome = "cancelled" } }
  end

  local function wait_for(ask)
    local co = coroutine.running()
    if not co or not coroutine.isyieldable() then
      return nil
    end
    local done, answer, waiting = false, nil, false
    ask(function(choice)
      answer, done = choice, true
      if waiting then
        vim.schedule(function()
          coroutine.resume(co)
        end)
      end
    end)
    if not done then
      waiting = true
      coroutine.yield()
    end
    return answer
  end

  if type(policy) == "function" then
    return outcome(wait_for(function(done)
      policy(params, done)
    end))
  end
  if policy == "ask" then
    if #vim.api.nvim_list_uis() == 0 then
      return outcome(nil) -- headless: nobody to ask, treat as reject
    end
    local title = params.toolCall and params.toolCall.title or "a tool call"
    local prompt = ("Skiff wants to run %s%s"):format(title, params.reason and (" (" .. params.reason .. ")") or "")
    return outcome(wait_for(function(done)
      vim.ui.select(options, {
        prompt = prompt,
        format_item = function(item)
          return item.name or item.optionId
        end,
      }, function(choice)
        done(choice and choice.optionId or nil)
      end)
    end))
  end
  if type(policy) == "string" then
    for _, opt in ipairs(options) do
      if opt.optionId == policy or opt.kind == policy then
        return outcome(opt.optionId)
      end
    end
    if policy == "reject" or policy == "reject_once" then
      return outcome(nil)
    end
    return outcome(policy)
  end
  return outcome(nil)
end

--- workspace/applyEdit: Neovim 0.11's handler skips a TextDocumentEdit whose version is older than
--- the buffer (it only prints "newer than edits") and still answers applied = true. Refuse such an
--- edit explicitly so the server keeps the proposal pending; everything else goes to the default
--- handler. Neovim 0.11 does not advertise changeAnnotationSupport, so the server sends plain edits
--- (no change annotations) and the review tab is where hunks are decided.
local function apply_edit_handler(err, params, ctx)
  local changes = params and params.edit and params.edit.documentChanges
  for _, change in ipairs(changes or {}) do
    local doc = change.textDocument
    if not change.kind and doc and type(doc.version) == "number" and doc.version > 0 then
      local bufnr = vim.uri_to_bufnr(doc.uri)
      local current = vim.lsp.util.buf_versions[bufnr]
      if vim.api.nvim_buf_is_loaded(bufnr) and current > doc.version then
        return {
          applied = false,
          failureReason = ("%s changed (version %d, edit for %d)"):format(vim.uri_to_fname(doc.uri), current, doc.version),
        }
      end
    end
  end
  return vim.lsp.handlers["workspace/applyEdit"](err, params, ctx)
end

local function update_handler(_, params, ctx)
  require("skiff.session").on_update(params, ctx and ctx.client_id)
end

--- The vim.lsp.config table for "skiff".
function M.lsp_config()
  local o = config.options
  local init = config.init_options()
  return {
    cmd = o.cmd,
    cmd_env = o.cmd_env,
    cmd_cwd = o.cmd_cwd,
    filetypes = o.filetypes,
    root_dir = function(bufnr, on_dir)
      on_dir(M.root_for(bufnr))
    end,
    init_options = init,
    settings = { skiff = vim.deepcopy(init) },
    handlers = {
      ["skiff/update"] = update_handler,
      ["skiff/requestPermission"] = permission_handler,
      ["workspace/applyEdit"] = apply_edit_handler,
    },
    -- One Skiff server per Neovim: its sessions, proposals and chat live there.
    reuse_client = function(client, cfg)
      return client.name == cfg.name and not client:is_stopped()
    end,
  }
end

--- Registers the config with vim.lsp.config and enables it for the configured filetypes.
function M.setup()
  -- Replace (not merge) so that calling setup() again with a shorter cmd list works; a later
  -- vim.lsp.config("skiff", {...}) by the user still merges on top.
  vim.lsp.config[M.name] = M.lsp_config()
  local o = config.options
  local cmd = o.cmd
  if type(cmd) == "table" and cmd[1] and vim.fn.executable(cmd[1]) == 0 then
    util.warn(("server command %q is not executable; set cmd in setup() (see :checkhealth skiff)"):format(cmd[1]))
  end
  vim.lsp.enable(M.name)
  -- Buffers already open when setup() runs.
  vim.schedule(function()
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) and util.is_file_buffer(bufnr) then
        local ft = vim.bo[bufnr].filetype
        if not o.filetypes or vim.tbl_contains(o.filetypes, ft) then
          M.attach(bufnr)
        end
      end
    end
  end)

  vim.api.nvim_clear_autocmds({ group = augroup })
  vim.api.nvim_create_autocmd("LspProgress", {
    group = augroup,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if not client or client.name ~= M.name then
        return
      end
      local p = args.data.params or {}
      local value = p.value or {}
      if value.kind == "end" then
        M.progress[p.token] = nil
      else
        M.progress[p.token] = value
      end
      -- Chat turns already stream into a visible buffer: only notify for the others. How a turn the
      -- plugin started ended is said by the turn itself (with the reason when it failed), not here.
      local quiet, own = false, false
      local session = package.loaded["skiff.session"]
      local chat = package.loaded["skiff.chat"]
      local chat_shown = chat and chat.bufnr and vim.api.nvim_buf_is_valid(chat.bufnr) and #vim.fn.win_findbuf(chat.bufnr) > 0
      for _, t in ipairs(session and session.turns or {}) do
        if t.token == p.token then
          own = true
          quiet = quiet or (t.kind == "chat" and chat_shown)
        end
      end
      if config.options.progress == "notify" and not quiet then
        -- util.notify adds "Skiff: "; the server's title is "Skiff" too, so it is not repeated.
        local title = value.title and value.title ~= "Skiff" and value.title or nil
        if value.kind == "begin" then
          local what = table.concat(vim.tbl_filter(function(x)
            return x ~= nil and x ~= ""
          end, { title, value.message }), ": ")
          util.notify((what ~= "" and what or "working") .. " (:SkiffCancel stops)")
        elseif value.kind == "end" and value.message and not own then
          util.notify(value.message)
        end
      end
      pcall(vim.cmd.redrawstatus)
    end,
  })
  vim.api.nvim_create_autocmd("LspRequest", {
    group = augroup,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if not client or client.name ~= M.name then
        return
      end
      local req = args.data.request
      if req and req.type == "complete" then
        require("skiff.session").on_request_complete(args.data.client_id, args.data.request_id)
      end
    end,
  })
  vim.api.nvim_create_autocmd("LspDetach", {
    group = augroup,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == M.name and client:is_stopped() then
        M.progress = {}
      end
    end,
  })
end

--- A running skiff client, if any.
---@return vim.lsp.Client?
function M.get()
  for _, client in ipairs(vim.lsp.get_clients({ name = M.name })) do
    if not client:is_stopped() then
      return client
    end
  end
  return nil
end

--- Starts the server if needed and attaches a file buffer to it.
---@param bufnr integer?
---@return vim.lsp.Client?
function M.attach(bufnr)
  local client = M.get()
  local attach = bufnr ~= nil and util.is_file_buffer(bufnr)
  if client then
    if attach and not vim.lsp.buf_is_attached(bufnr, client.id) then
      vim.lsp.buf_attach_client(bufnr, client.id)
    end
    return client
  end
  local cfg = vim.deepcopy(vim.lsp.config[M.name] or M.lsp_config())
  cfg.name = M.name
  cfg.root_dir = M.root_for(bufnr)
  local id = vim.lsp.start(cfg, { bufnr = attach and bufnr or nil, attach = attach, silent = false })
  return id and vim.lsp.get_client_by_id(id) or nil
end

--- Calls `fn(client)` once a skiff client is initialized (starting one and attaching `bufnr`).
---@param bufnr integer?
---@param fn fun(client: vim.lsp.Client)
function M.with_client(bufnr, fn)
  local client = M.attach(bufnr)
  if not client then
    util.error("could not start the server (" .. table.concat(vim.iter({ config.options.cmd }):flatten():totable(), " ") .. "); see :checkhealth skiff")
    return
  end
  local deadline = vim.uv.now() + 30000
  local function poll()
    if client:is_stopped() then
      util.error("the server exited; see :checkhealth skiff and :LspLog")
      return
    end
    if client.initialized then
      fn(client)
    elseif vim.uv.now() > deadline then
      util.error("the server did not finish initializing in 30 s")
    else
      vim.defer_fn(poll, 20)
    end
  end
  poll()
end

--- client:request with a callback `cb(err, result)`; returns the request id.
---@param client vim.lsp.Client
---@param method string
---@param params table
---@param cb fun(err: table?, result: any)?
---@param bufnr integer?
---@return integer?
function M.request(client, method, params, cb, bufnr)
  local ok, id = client:request(method, params, function(err, result)
    if cb then
      cb(err, result)
    end
  end, bufnr)
  if not ok then
    if cb then
      cb({ code = -32099, message = "the Skiff client has stopped" }, nil)
    end
    return nil
  end
  return id
end

--- Convenience: start/attach then request.
function M.call(method, params, cb, bufnr)
  M.with_client(bufnr, function(client)
    M.request(client, method, params, cb, bufnr)
  end)
end

return M
