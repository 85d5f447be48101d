-- :checkhealth skiff fails, with the fix, for a model that cannot load (its GGUF file is missing).
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))

H.run("health_broken", function()
  H.setup({ model = "local/unloadable" })
  local text = H.checkhealth()
  H.ok(text:find("skiff/status: version", 1, true), "no skiff/status line:\n" .. text)
  H.ok(text:find("model local/unloadable", 1, true), "the configured model is not reported:\n" .. text)
  H.ok(text:find("ERROR model file: the GGUF file", 1, true) and text:find("does not exist", 1, true), "the missing file is an error:\n" .. text)
  H.ok(text:find("fix providers.local.models[unloadable].path", 1, true), "the fix is shown:\n" .. text)
  H.ok(text:find("ERROR model local/unloadable cannot work", 1, true), "the model is reported as not working:\n" .. text)
  H.ok(not text:find("OK model local/unloadable works", 1, true), "no OK for the broken model:\n" .. text)
end)
