-- Options for require("skiff").setup{...}; see editors/neovim/README.md.
local M = {}

M.defaults = {
  -- How to start the server (stdio). `skiff serve` from the skiff-ls package.
  cmd = { "skiff", "serve" },
  cmd_env = nil, -- extra environment for the server process
  cmd_cwd = nil,
  -- Filetypes to attach to; nil attaches to every file buffer.
  filetypes = nil,
  -- Workspace root: a directory, or found upwards from the buffer with these markers, else the cwd.
  root_dir = nil,
  root_markers = { ".git", ".hg", "pyproject.toml", "package.json", "Cargo.toml", "go.mod", "Makefile" },
  -- initializationOptions (docs/protocol.md). skiffUi is always true for this plugin.
  model = nil, -- "PROVIDER/ID", default: the registry's default
  proposals = nil, -- { mode = "auto" | "review" | "direct" }
  bash = nil, -- { mode = "auto" | "accept-all" | "manual", allow = {...}, timeout = 60 }
  actions = nil, -- { { title = ..., prompt = ..., kind = ... } }
  init_options = {}, -- extra keys merged into initializationOptions
  -- Answer for skiff/requestPermission: "ask" (vim.ui.select; rejects when there is no UI),
  -- an optionId ("allow_once", "allow_always", "reject"), or function(params, done) calling
  -- done(optionId | nil).
  permission = "ask",
  -- Open the review tab when a proposal arrives: "ask" (for :SkiffAsk turns), "always", "never".
  auto_review = "ask",
  -- Progress messages through vim.notify: "notify" or "none" (the statusline function always works).
  progress = "notify",
  chat = {
    position = "right", -- "right" | "left" | "bottom" | "tab"
    size = 70,
    keys = { send = "<CR>", send_insert = "<C-s>", cancel = "<C-c>" },
  },
  review = {
    close_on_resolve = true,
    keys = {
      accept = "ga",
      reject = "gr",
      accept_all = "gA",
      reject_all = "gR",
      submit = "gs",
      next_file = "]f",
      prev_file = "[f",
      close = "q", -- only in the proposal (scratch) buffer
    },
  },
  -- Optional global mappings, e.g. { ask = "<leader>sa", chat = "<leader>sc", cancel = "<leader>sx" }.
  keys = {},
}

M.options = vim.deepcopy(M.defaults)

---@param opts table?
function M.set(opts)
  M.options = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  -- Lists replace, never merge index by index.
  for _, key in ipairs({ "cmd", "filetypes", "root_markers", "actions" }) do
    if opts and opts[key] ~= nil then
      M.options[key] = opts[key]
    end
  end
  return M.options
end

--- initializationOptions sent to the server.
function M.init_options()
  local o = M.options
  local init = vim.deepcopy(o.init_options or {})
  init.skiffUi = true
  for _, key in ipairs({ "model", "proposals", "bash", "actions" }) do
    if o[key] ~= nil then
      init[key] = vim.deepcopy(o[key])
    end
  end
  return init
end

return M
