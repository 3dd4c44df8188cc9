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
    /// Shell commands by action name.
    Hooks(BTreeMap<String, String>),
}

impl Actions {
    /// Perform `action`.
    pub async fn perform(&self, action: &str, args: &ActionArgs) -> ActionResult {
        match self {
            Actions::Embedded(state) => embedded(state, action, args),
            Actions::Hooks(hooks) => match hooks.get(action) {
                None => ActionResult::NotAvailable(format!(
                    "the EC action `{action}` has no hook: add `{action} = \"<command>\"` under [ec.actions] in collaudo.toml"
                )),
                Some(template) => {
                    if template.contains("{amount_cents}") && args.amount_cents.is_none() {
                        return ActionResult::NotAvailable(format!(
                            "the `{action}` hook uses {{amount_cents}}, but no verify of {} came before this step to know the amount",
                            args.notice
                        ));
                    }
                    let cmd = template
                        .replace("{notice}", &args.notice)
                        .replace("{iuv}", args.notice.get(1..).unwrap_or(""))
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

fn embedded(state: &StationState, action: &str, args: &ActionArgs) -> ActionResult {
    let store = state.positions();
    let r = match action {
        "change-amount" => {
            let Some(current) = store.get(&args.notice) else {
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
            store
                .set_amount(&args.notice, collaudo_wire::Amount::from_cents(cents))
                .map(|v| {
                    format!(
                        "amount of {} changed from {} to {}",
                        args.notice, current.amount, v.amount
                    )
                })
        }
        "cancel-position" => store
            .cancel(&args.notice)
            .map(|_| format!("{} cancelled", args.notice)),
        other => return ActionResult::NotAvailable(format!("unknown EC action `{other}`")),
    };
    match r {
        Ok(msg) => ActionResult::Done(msg),
        Err(e) => ActionResult::Failed(e.to_string()),
    }
}
