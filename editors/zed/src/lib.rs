//! Zed extension that registers Skiff's language server (`skiff serve`) for the languages in extension.toml.
//!
//! Zed cannot declare a new language server in settings.json alone, so this extension is the registration.
//! The server binary comes from PATH (`pip install skiff-ls`), or from `lsp.skiff.binary` in settings;
//! `lsp.skiff.initialization_options` and `lsp.skiff.settings` are passed through unchanged.

use zed_extension_api::{self as zed, settings::LspSettings, LanguageServerId, Result};

struct SkiffExtension;

impl zed::Extension for SkiffExtension {
    fn new() -> Self {
        SkiffExtension
    }

    fn language_server_command(
        &mut self,
        language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let settings = LspSettings::for_worktree(language_server_id.as_ref(), worktree).ok();
        let binary = settings.and_then(|s| s.binary);
        let command = binary
            .as_ref()
            .and_then(|b| b.path.clone())
            .or_else(|| worktree.which("skiff"))
            .ok_or_else(|| "skiff is not on PATH: install it with `pip install skiff-ls`".to_string())?;
        let args = binary
            .and_then(|b| b.arguments)
            .unwrap_or_else(|| vec!["serve".to_string()]);
        Ok(zed::Command { command, args, env: worktree.shell_env() })
    }

    fn language_server_initialization_options(
        &mut self,
        language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<zed::serde_json::Value>> {
        Ok(LspSettings::for_worktree(language_server_id.as_ref(), worktree)
            .ok()
            .and_then(|s| s.initialization_options))
    }

    fn language_server_workspace_configuration(
        &mut self,
        language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<zed::serde_json::Value>> {
        Ok(LspSettings::for_worktree(language_server_id.as_ref(), worktree)
            .ok()
            .and_then(|s| s.settings))
    }
}

zed::register_extension!(SkiffExtension);
