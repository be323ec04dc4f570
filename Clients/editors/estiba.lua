-- Estiba's Dockerfile language server for Neovim 0.7 and later (Debian's is 0.7): started for every Dockerfile
-- buffer. Put this file on the runtime path (e.g. ~/.config/nvim/plugin/estiba.lua) or `luafile` it. The command
-- is `estiba`, or $ESTIBA when set.
vim.api.nvim_create_autocmd("FileType", {
  pattern = "dockerfile",
  callback = function(args)
    local client = vim.lsp.start_client({
      name = "estiba",
      cmd = { vim.env.ESTIBA or "estiba", "serve", "--stdio" },
      root_dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ":p:h"),
    })
    if client then vim.lsp.buf_attach_client(args.buf, client) end
  end,
})
