-- :checkhealth skiff reports the command, the server version and skiff/status.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))

H.run("health", function()
  H.setup({ model = "test/chat" })
  local text = H.checkhealth()
  H.ok(text:find("server command:", 1, true), "no server command line:\n" .. text)
  H.ok(text:find("server initialized: skiff 0.1.0", 1, true), "no server version:\n" .. text)
  H.ok(text:find("skiff/status: version", 1, true), "no skiff/status line:\n" .. text)
  H.ok(text:find("model test/chat", 1, true), "the configured model is not reported:\n" .. text)
  H.ok(not text:find("ERROR", 1, true), "health reported an error:\n" .. text)
  H.wait(5000, function()
    return require("skiff.client").get() == nil
  end, "the temporary health-check server to stop")
end)
