-- User commands: :SkiffAsk, :SkiffChat, :SkiffCancel, :SkiffAccept, :SkiffReject, :SkiffUndo,
-- :SkiffModel, :SkiffReview, :SkiffStatus.
local M = {}

local function proposal_ids()
  local out = {}
  local session = require("skiff.session")
  for i = #session.proposal_order, 1, -1 do
    table.insert(out, session.proposal_order[i])
  end
  return out
end

local function complete_ids(arg)
  return vim.tbl_filter(function(id)
    return id:sub(1, #arg) == arg
  end, proposal_ids())
end

function M.setup()
  local skiff = require("skiff")
  local cmd = vim.api.nvim_create_user_command

  cmd("SkiffAsk", function(o)
    skiff.ask(o.args, { line1 = o.line1, line2 = o.line2 })
  end, { nargs = "*", range = true, desc = "Skiff: ask the agent about the selected lines" })

  cmd("SkiffChat", function(o)
    skiff.chat(o.args ~= "" and o.args or nil, { new = o.bang })
  end, { nargs = "*", bang = true, desc = "Skiff: open the chat (! starts a new session; text sends it)" })

  cmd("SkiffCancel", function()
    skiff.cancel()
  end, { desc = "Skiff: cancel the running turn(s)" })

  cmd("SkiffAccept", function(o)
    skiff.accept(o.args ~= "" and o.args or nil, { all = o.bang })
  end, {
    nargs = "?",
    bang = true,
    complete = complete_ids,
    desc = "Skiff: accept the proposal (in the review tab: the hunk under the cursor; ! = all)",
  })

  cmd("SkiffReject", function(o)
    skiff.reject(o.args ~= "" and o.args or nil, { all = o.bang })
  end, {
    nargs = "?",
    bang = true,
    complete = complete_ids,
    desc = "Skiff: reject the proposal (in the review tab: the hunk under the cursor; ! = all)",
  })

  cmd("SkiffUndo", function(o)
    skiff.undo(o.args ~= "" and o.args or nil)
  end, { nargs = "?", complete = complete_ids, desc = "Skiff: undo the last applied proposal" })

  cmd("SkiffReview", function(o)
    skiff.review(o.args ~= "" and o.args or nil)
  end, { nargs = "?", complete = complete_ids, desc = "Skiff: review a proposal in a diff tab" })

  cmd("SkiffModel", function(o)
    skiff.model(o.args ~= "" and o.args or nil)
  end, {
    nargs = "?",
    complete = function(arg)
      return vim.tbl_filter(function(id)
        return id:sub(1, #arg) == arg
      end, skiff._model_ids or {})
    end,
    desc = "Skiff: choose the model",
  })

  cmd("SkiffStatus", function()
    skiff.status()
  end, { desc = "Skiff: server status" })
end

return M
