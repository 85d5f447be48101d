-- The README's lazy.nvim spec: every command in its `cmd` list loads the plugin the way lazy.nvim does
-- (a stub command that loads the plugin, runs setup and runs the command again), and the list names every
-- command setup() defines.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))

local function readme_cmds()
  local path = vim.fs.joinpath(os.getenv("SKIFF_NVIM_PLUGIN"), "README.md")
  local text = table.concat(vim.fn.readfile(path), "\n")
  local list = text:match("cmd = (%b{})")
  H.ok(list, "the README has a lazy.nvim `cmd = { ... }` list")
  local out = {}
  for name in list:gmatch('"(Skiff%w+)"') do
    table.insert(out, name)
  end
  return out
end

H.run("lazy", function()
  local cmds = readme_cmds()
  local loaded = false
  -- What lazy.nvim does for `cmd`: stubs; the first use loads the plugin (opts -> setup) and re-runs it.
  for _, name in ipairs(cmds) do
    vim.api.nvim_create_user_command(name, function(o)
      for _, n in ipairs(cmds) do
        pcall(vim.api.nvim_del_user_command, n)
      end
      H.setup({ model = "test/chat" })
      loaded = true
      vim.cmd(("%s%s %s"):format(name, o.bang and "!" or "", o.args))
    end, { nargs = "*", bang = true, range = true })
  end
  H.ok(not package.loaded["skiff"], "nothing loaded before the first command")
  local notes = H.record_notes()
  vim.cmd("SkiffStatus")
  H.ok(loaded, ":SkiffStatus loaded the plugin")
  H.wait(40000, function()
    return H.find_note(notes, "model test/chat") ~= nil
  end, ":SkiffStatus to show the status after loading")

  local defined = {}
  for name in pairs(vim.api.nvim_get_commands({})) do
    if name:match("^Skiff") then
      table.insert(defined, name)
    end
  end
  table.sort(defined)
  local listed = vim.deepcopy(cmds)
  table.sort(listed)
  H.eq(defined, listed, "the README's cmd list names every command setup() defines")
end)
