-- :SkiffAccept outside the review tab (whole proposal), :SkiffModel through vim.ui.select, and the
-- proposal line in the chat buffer.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "helpers.lua"))

H.run("commands", function()
  H.setup({ model = "test/edit", auto_review = "never" })
  local buf = H.open("calc.py")
  local original = H.buf_lines(buf)
  local session = require("skiff.session")
  local chat = require("skiff.chat")

  vim.cmd("%SkiffAsk add docstrings")
  H.wait(20000, function()
    return #session.turns == 1 and session.turns[1].status == "done"
  end, "the ask turn to finish")
  H.ok(not require("skiff.review").in_review(), "auto_review = never keeps the review closed")
  local id = session.turns[1].proposals[1]
  H.ok(id, "the turn produced a proposal")
  H.eq("pending", session.proposals[id].status, "proposal status")
  H.ok(H.find_line(H.buf_lines(chat.bufnr), "[proposal] " .. id) ~= nil, "the chat buffer lists the proposal")

  -- In the file buffer, :SkiffAccept takes the whole pending proposal touching it.
  vim.cmd("SkiffAccept")
  H.wait_proposal(id, "applied", "the whole proposal to be applied")
  local expected = vim.deepcopy(original)
  table.insert(expected, 10, '    """Return a minus b."""')
  table.insert(expected, 2, '    """Return the sum of a and b."""')
  H.eq(expected, H.buf_lines(buf), "buffer text after :SkiffAccept")

  -- :SkiffModel: vim.ui.select over skiff/models, then skiff/setModel.
  local offered
  vim.ui.select = function(items, opts, on_choice)
    offered = vim.tbl_map(function(m)
      return m.id
    end, items)
    for _, m in ipairs(items) do
      if m.id == "test/chat" then
        H.ok(opts.format_item(m):find("test/chat", 1, true), "format_item shows the id")
        return on_choice(m)
      end
    end
    on_choice(nil)
  end
  vim.cmd("SkiffModel")
  local client = require("skiff.client").get()
  H.wait(5000, function()
    local s = client:request_sync("skiff/status", vim.empty_dict(), 2000)
    return s and s.result and s.result.model == "test/chat"
  end, "skiff/status to report the chosen model")
  H.ok(offered and vim.tbl_contains(offered, "test/edit") and vim.tbl_contains(offered, "test/slow"), "models offered: " .. vim.inspect(offered))
  H.eq("test/chat", client.settings.skiff.model, "workspace/configuration answers follow the chosen model")
end)
