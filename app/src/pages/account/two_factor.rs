//! My password's "Two-factor log-on" section: turn it on with a QR code and a confirming
//! code, see the recovery codes once, turn it off with the password and a code.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::two_factor::{
    two_factor_status, CancelTwoFactor, ConfirmTwoFactor, RenewRecoveryCodes, StartTwoFactor,
    TurnOffTwoFactor,
};
use crate::components::field::{PasswordField, TextField};
use crate::components::layout::{refusal, ActionError};
use crate::error::AppError;
use crate::error::FormRefusal;
use crate::model::two_factor::{TwoFactorState, TwoFactorView};
use crate::routes::Account;
use crate::url::encode_query;

/// The administrator's two-factor log-on, for the section and for the page around it.
pub type Status = Resource<Result<TwoFactorView, AppError>>;

/// Reads the administrator's two-factor log-on.
pub fn status() -> Status {
    Resource::new(|| (), |_| two_factor_status())
}

/// The section, as the administrator's two-factor log-on stands.
#[component]
pub fn TwoFactorSection(status: Status) -> impl IntoView {
    let query = use_query_map();
    let turned_off = move || query.read().get("two_factor_off").is_some();
    view! {
        <section class="card form two-factor" id="two-factor" aria-labelledby="two-factor-title">
            <h2 class="card__title" id="two-factor-title">"Two-factor log-on"</h2>
            {move || turned_off().then(|| view! {
                <p class="alert alert--ok" role="status">"Two-factor log-on is turned off."</p>
            })}
            <Suspense fallback=|| ()>
                {move || status.get().map(|result| match result {
                    Ok(view) => view! { <TwoFactorBody view/> }.into_any(),
                    Err(error) => view! {
                        <p class="alert alert--error" role="alert">{error.to_string()}</p>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn TwoFactorBody(view: TwoFactorView) -> impl IntoView {
    let required = view.must_turn_on();
    let body = match view.state {
        TwoFactorState::Off => view! { <TurnOn/> }.into_any(),
        TwoFactorState::Enrolling { secret, qr_svg } => view! { <Enrol secret qr_svg/> }.into_any(),
        TwoFactorState::On {
            fresh_codes: Some(codes),
            ..
        } => view! { <RecoveryCodes codes/> }.into_any(),
        TwoFactorState::On {
            codes_left,
            old_codes,
            ..
        } => view! { <TurnOff codes_left old_codes/> }.into_any(),
    };
    view! {
        {required.then(|| view! {
            <p class="alert alert--warn" role="status">
                "Your operator requires two-factor log-on. Turn it on to use the console."
            </p>
        })}
        {body}
    }
}

/// Off: what it is, and the button that starts enrolment.
#[component]
fn TurnOn() -> impl IntoView {
    let start = ServerAction::<StartTwoFactor>::new();
    view! {
        <p>"Turn it on so that logging on takes your password and a code from an authenticator app on your phone: a stolen password alone is then not enough."</p>
        <ActionForm action=start>
            <ActionError text=refusal(start)/>
            <button class="button button--primary" type="submit">"Turn on"</button>
        </ActionForm>
    }
}

/// Enrolment: the QR code and the key for the app, and the first code from it.
#[component]
fn Enrol(secret: String, qr_svg: String) -> impl IntoView {
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let cancel = ServerAction::<CancelTwoFactor>::new();
    let error = refusal(confirm).get_untracked();
    let refused = error.is_some();
    view! {
        <p>"1. Scan this QR code with your authenticator app:"</p>
        <div class="two-factor__qr" inner_html=qr_svg></div>
        <p>"Or add an account in the app by hand with this key (time-based):"</p>
        <p><code class="two-factor__secret" id="two-factor-secret">{secret}</code></p>
        <p>"2. Type the 6-digit code the app shows, to check that it works."</p>
        <ActionForm action=confirm>
            {error.map(|text| view! { <p class="alert alert--error" role="alert" id=CONFIRM_REFUSAL>{text}</p> })}
            <TextField name="code" label="Code from the app" autocomplete="one-time-code"
                error_id=refused.then_some(CONFIRM_REFUSAL)/>
            <button class="button button--primary" type="submit">"Confirm and turn on"</button>
        </ActionForm>
        <ActionForm action=cancel>
            <ActionError text=refusal(cancel)/>
            <button class="button" type="submit">"Cancel"</button>
        </ActionForm>
    }
}

/// The id of the message that says why a confirming code was refused.
const CONFIRM_REFUSAL: &str = "confirm-error";

/// Just turned on: the recovery codes, this once, to write down or download.
#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    let text: String = codes.iter().map(|code| format!("{code}\n")).collect();
    let file = format!(
        "data:text/plain;charset=utf-8,{}",
        encode_query(&format!(
            "Virtual Postmaster recovery codes. Each works once, instead of a code from the app.\n\n{text}"
        ))
    );
    view! {
        <p class="alert alert--ok" role="status">"Two-factor log-on is on."</p>
        <p>"These are your recovery codes. If you lose your phone, each of them logs you on once instead of a code from the app. Keep them somewhere safe: they are shown only now."</p>
        <ul class="two-factor__codes" aria-label="Recovery codes">
            {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
        </ul>
        <p>
            <a class="button" href=file download="virtual-postmaster-recovery-codes.txt">"Download the codes"</a>
            " "
            <a class="button button--primary" href=Account::PATH>"Done"</a>
        </p>
    }
}

/// On: how many recovery codes are left (and whether some are of the older, weaker kind),
/// and turning it off with the password and a code.
#[component]
fn TurnOff(codes_left: i64, old_codes: bool) -> impl IntoView {
    let turn_off = ServerAction::<TurnOffTwoFactor>::new();
    let renew = ServerAction::<RenewRecoveryCodes>::new();
    let renew_error = refusal(renew).get_untracked();
    let renew_refused = renew_error.is_some();
    let error = refusal(turn_off).get_untracked();
    let refused = error.is_some();
    let typed_code = FormRefusal::of(turn_off).typed("code");
    let left = match codes_left {
        1 => "You have 1 unused recovery code.".to_owned(),
        n => format!("You have {n} unused recovery codes."),
    };
    view! {
        <p>"Two-factor log-on is on: logging on asks for a code from your authenticator app after your password. " {left}</p>
        {old_codes.then(|| view! {
            <p class="alert alert--warn" role="status">
                "Your recovery codes are of an older, weaker kind. They still work; make new ones below."
            </p>
        })}
        <ActionForm action=turn_off>
            {error.map(|text| view! { <p class="alert alert--error" role="alert" id=TURN_OFF_REFUSAL>{text}</p> })}
            <PasswordField name="current_password" label="Current password"
                autocomplete="current-password" error_id=refused.then_some(TURN_OFF_REFUSAL)/>
            <TextField name="code" label="Code from the app, or a recovery code"
                autocomplete="one-time-code" value=typed_code.unwrap_or_default()
                error_id=refused.then_some(TURN_OFF_REFUSAL)/>
            <button class="button" type="submit">"Turn off"</button>
        </ActionForm>
        // New codes take the same proof as turning it off, in a form of their own.
        <details class="two-factor__renew" open=renew_refused>
            <summary>"Make new recovery codes"</summary>
            <p>"New codes replace all the old ones, used or not; they are shown once."</p>
            <ActionForm action=renew>
                {renew_error.map(|text| view! { <p class="alert alert--error" role="alert" id=RENEW_REFUSAL>{text}</p> })}
                <PasswordField name="renew_password" label="Current password"
                    autocomplete="current-password" error_id=renew_refused.then_some(RENEW_REFUSAL)/>
                <TextField name="renew_code" label="Code from the app, or a recovery code"
                    autocomplete="one-time-code" error_id=renew_refused.then_some(RENEW_REFUSAL)/>
                <button class="button" type="submit">"Make new codes"</button>
            </ActionForm>
        </details>
    }
}

/// The id of the message that says why new recovery codes were refused.
const RENEW_REFUSAL: &str = "renew-error";

/// The id of the message that says why turning off was refused.
const TURN_OFF_REFUSAL: &str = "turn-off-error";
