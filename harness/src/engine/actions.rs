//! EC back-office actions a scenario needs (change an amount, cancel a position): performed
//! in-process on the embedded reference station, or by the user's hook commands from
//! `[ec.actions]` in `collaudo.toml`. Without a hook the scenario is skipped with the reason.

use collaudo_station::StationState;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Variables an action can use.
#[derive(Debug, Clone)]
pub struct ActionArgs {
    /// The notice number the step names.
    pub notice: String,
    /// For `change-amount`: cents added to the current amount.
    pub delta_cents: i64,
    /// The amount the action leaves on the position, when known (the last verify's amount plus
    /// `delta_cents`).
    pub amount_cents: Option<i64>,
    /// For the GPD actions (`gpd-*`): the position acted on.
    pub gpd: Option<GpdArgs>,
}

/// The position a GPD action (`gpd-*`) is about: identifiers the harness chose for the case,
/// which the EC uses to create it and to find it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpdArgs {
    /// The position's `iupd`.
    pub iupd: String,
    /// The IUV of its one payment option (the notice number is `3` + IUV).
    pub iuv: String,
    /// The mock GPD the EC is to call, `http://ADDRESS` (its APIs under their production
    /// paths, e.g. `/gpd/debt-positions-service/v1`).
    pub url: String,
}

/// What performing an action gave.
#[derive(Debug)]
pub enum ActionResult {
    /// Done; the text says what happened.
    Done(String),
    /// This environment cannot perform it (no hook): skip the scenario.
    NotAvailable(String),
    /// The action was attempted and failed: a harness error.
    Failed(String),
}

/// How actions are performed.
#[derive(Debug, Clone)]
pub enum Actions {
    /// On the embedded station, in-process.
    Embedded(Arc<StationState>),
    /// Shell commands by action name; without one, ask the person at the terminal when
    /// `interactive`, else skip the case with the reason.
    Hooks {
        /// Action name → command template.
        hooks: BTreeMap<String, String>,
        /// Whether a person can be asked (a terminal and no `--non-interactive`).
        interactive: bool,
    },
}

/// Describe the action for a person.
fn describe(action: &str, args: &ActionArgs) -> String {
    match action {
        "change-amount" => format!(
            "change the amount of notice {} by {} cents{} in your EC system (and update ACA as it normally does)",
            args.notice,
            args.delta_cents,
            args.amount_cents
                .map_or(String::new(), |a| format!(" (new amount {a} cents)"))
        ),
        "cancel-position" => format!(
            "cancel the position of notice {} in your EC system (ACA gets amount 0)",
            args.notice
        ),
        "close-position" => format!(
            "record notice {} as paid outside pagoPA in your EC system (ACA gets amount 0)",
            args.notice
        ),
        gpd if gpd.starts_with("gpd-") => {
            let (iupd, iuv) = args
                .gpd
                .as_ref()
                .map_or(("", ""), |g| (g.iupd.as_str(), g.iuv.as_str()));
            let amount = args
                .amount_cents
                .map_or(String::new(), |a| format!(", amount {a} cents"));
            let what = match gpd {
                "gpd-create" => "create in GPD, not published (toPublish=false),",
                "gpd-create-published" => "create in GPD with toPublish=true",
                "gpd-publish" => "publish in GPD",
                "gpd-update" => "update in GPD (toPublish=false)",
                "gpd-delete" => "delete from GPD",
                "gpd-invalidate" => "invalidate in GPD",
                "gpd-pull-receipt" => "fetch from GPD's receipts API the receipt of",
                _ => "act in GPD on",
            };
            format!(
                "{what} the debt position iupd {iupd} (IUV {iuv}, notice {}{amount})",
                args.notice
            )
        }
        other => format!("perform `{other}` on notice {}", args.notice),
    }
}

/// Ask the person at the terminal to do the action; true when they did, false to skip.
async fn ask(action: &str, args: &ActionArgs) -> bool {
    let text = describe(action, args);
    tokio::task::spawn_blocking(move || {
        use std::io::{BufRead, Write};
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\nACTION NEEDED: {text}.\nDo it now, then press Enter to continue (type s and Enter to skip this case): "
        );
        let _ = err.flush();
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => false,
            Ok(_) => !line.trim().eq_ignore_ascii_case("s"),
        }
    })
    .await
    .unwrap_or(false)
}

impl Actions {
    /// Perform `action`.
    pub async fn perform(&self, action: &str, args: &ActionArgs) -> ActionResult {
        match self {
            Actions::Embedded(state) => embedded(state, action, args).await,
            Actions::Hooks { hooks, interactive } => match hooks.get(action) {
                None if *interactive => {
                    if ask(action, args).await {
                        ActionResult::Done(format!("done by hand: {}", describe(action, args)))
                    } else {
                        ActionResult::NotAvailable(format!(
                            "the EC action `{action}` was skipped at the prompt"
                        ))
                    }
                }
                None => ActionResult::NotAvailable(format!(
                    "the EC action `{action}` has no hook: add `{action} = \"<command>\"` under [ec.actions] in collaudo.toml, or run in a terminal without --non-interactive to be asked"
                )),
                Some(template) => {
                    if template.contains("{amount_cents}") && args.amount_cents.is_none() {
                        return ActionResult::NotAvailable(format!(
                            "the `{action}` hook uses {{amount_cents}}, but no verify of {} came before this step to know the amount",
                            args.notice
                        ));
                    }
                    let iuv = args
                        .gpd
                        .as_ref()
                        .map_or(args.notice.get(1..).unwrap_or(""), |g| g.iuv.as_str());
                    let iupd = args.gpd.as_ref().map_or("", |g| g.iupd.as_str());
                    let gpd_url = args.gpd.as_ref().map_or("", |g| g.url.as_str());
                    let cmd = template
                        .replace("{notice}", &args.notice)
                        .replace("{iupd}", iupd)
                        .replace("{gpd_url}", gpd_url)
                        .replace("{iuv}", iuv)
                        .replace("{delta_cents}", &args.delta_cents.to_string())
                        .replace(
                            "{amount_cents}",
                            &args.amount_cents.map(|a| a.to_string()).unwrap_or_default(),
                        );
                    let out = tokio::process::Command::new("sh")
                        .arg("-c")
                        .arg(&cmd)
                        .output()
                        .await;
                    match out {
                        Ok(o) if o.status.success() => ActionResult::Done(format!("ran `{cmd}`")),
                        Ok(o) => ActionResult::Failed(format!(
                            "`{cmd}` exited with {}: {}",
                            o.status,
                            String::from_utf8_lossy(&o.stderr).trim()
                        )),
                        Err(e) => ActionResult::Failed(format!("cannot run `{cmd}`: {e}")),
                    }
                }
            },
        }
    }
}

/// On the embedded station: the station changes its archive and, as a conforming EC, updates
/// ACA in the same operation (DOMAIN.md §8).
async fn embedded(state: &StationState, action: &str, args: &ActionArgs) -> ActionResult {
    let r = match action {
        "change-amount" => {
            let Some(current) = state.positions().get(&args.notice) else {
                return ActionResult::Failed(format!(
                    "the station holds no position {}",
                    args.notice
                ));
            };
            let cents = i128::from(current.amount.cents()) + i128::from(args.delta_cents);
            let Ok(cents) = u64::try_from(cents) else {
                return ActionResult::Failed(format!(
                    "{} + {} cents is negative",
                    current.amount, args.delta_cents
                ));
            };
            state
                .set_amount(&args.notice, collaudo_wire::Amount::from_cents(cents))
                .await
                .map(|v| {
                    format!(
                        "amount of {} changed from {} to {}",
                        args.notice, current.amount, v.amount
                    )
                })
        }
        "cancel-position" => state
            .cancel(&args.notice)
            .await
            .map(|_| format!("{} cancelled", args.notice)),
        "close-position" => state
            .close_paid_elsewhere(&args.notice)
            .await
            .map(|_| format!("{} closed: paid outside pagoPA", args.notice)),
        gpd if gpd.starts_with("gpd-") => return embedded_gpd(state, gpd, args).await,
        other => return ActionResult::NotAvailable(format!("unknown EC action `{other}`")),
    };
    match r {
        Ok(msg) => ActionResult::Done(msg),
        Err(e) => ActionResult::Failed(e.to_string()),
    }
}

/// A GPD action on the embedded station, as the back office of an asynchronous EC does it: one
/// call to GPD. A refusal by GPD (4xx) is what the EC met, not a failure of the action: the
/// `gpd` step that follows judges it.
async fn embedded_gpd(state: &StationState, action: &str, args: &ActionArgs) -> ActionResult {
    let Some(gpd) = &args.gpd else {
        return ActionResult::Failed(format!("{action} names no GPD position"));
    };
    let (operation, publish) = match action {
        "gpd-create" => ("create", false),
        "gpd-create-published" => ("create", true),
        "gpd-publish" => ("publish", false),
        "gpd-update" => ("update", false),
        "gpd-delete" => ("delete", false),
        "gpd-invalidate" => ("invalidate", false),
        "gpd-pull-receipt" => ("pull-receipt", false),
        other => return ActionResult::NotAvailable(format!("unknown EC action `{other}`")),
    };
    let position = collaudo_station::gpd::GpdPosition {
        iupd: gpd.iupd.clone(),
        iuv: gpd.iuv.clone(),
        amount_cents: args.amount_cents.unwrap_or(1),
    };
    match state.gpd_call(operation, &position, publish).await {
        Ok(a) => ActionResult::Done(format!(
            "{} of {} answered HTTP {}",
            a.operation, gpd.iupd, a.status
        )),
        Err(e) => ActionResult::Failed(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpd_args() -> ActionArgs {
        ActionArgs {
            notice: "301234567890123456".into(),
            delta_cents: 0,
            amount_cents: Some(12_000),
            gpd: Some(GpdArgs {
                iupd: "COLLAUDO-GPD-001-1".into(),
                iuv: "01234567890123456".into(),
                url: "http://127.0.0.1:1".into(),
            }),
        }
    }

    fn hooks(action: &str, template: &str) -> Actions {
        Actions::Hooks {
            hooks: [(action.to_string(), template.to_string())].into(),
            interactive: false,
        }
    }

    #[tokio::test]
    async fn gpd_hooks_get_the_position_and_the_mock_gpd() {
        let ok = hooks(
            "gpd-create",
            r#"test "{iupd}|{iuv}|{notice}|{amount_cents}|{gpd_url}" = "COLLAUDO-GPD-001-1|01234567890123456|301234567890123456|12000|http://127.0.0.1:1""#,
        );
        let r = ok.perform("gpd-create", &gpd_args()).await;
        assert!(matches!(r, ActionResult::Done(_)), "{r:?}");
        let wrong = hooks("gpd-create", r#"test "{iuv}" = "1234567890123456""#);
        let r = wrong.perform("gpd-create", &gpd_args()).await;
        assert!(matches!(r, ActionResult::Failed(_)), "{r:?}");
        let r = ok.perform("gpd-publish", &gpd_args()).await;
        assert!(
            matches!(&r, ActionResult::NotAvailable(w) if w.contains("gpd-publish")),
            "{r:?}"
        );
        let text = describe("gpd-create-published", &gpd_args());
        assert!(
            text.contains("toPublish=true") && text.contains("COLLAUDO-GPD-001-1"),
            "{text}"
        );
    }
}
