//! Two-factor log-on: TOTP (RFC 6238: 30-second steps, six digits, HMAC-SHA-1, as every
//! authenticator app expects) and single-use recovery codes.
//!
//! The secret is stored encrypted with a key kept outside the database ([`SecretKey`]), so a
//! copy of the database alone gives no codes away. After a right password an enrolled
//! administrator gets a pending log-on, not a session: its token grants nothing until a code
//! proves right ([`complete_log_on`]).

use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sqlx::{AnyConnection, AnyPool};

use super::admins;
use super::audit::{self, Action, Actor, Entry, Outcome};
use super::auth::{new_token, open_session, token_hash, Admin, NewSession};
use super::db::Flag;
use super::hashing::Hasher;
use super::throttle;
use crate::error::AppError;
use crate::validate::Address;

/// Seconds per TOTP step.
const STEP: i64 = 30;
/// Codes one step either side of now are accepted: phones' clocks drift.
const SKEW: i64 = 1;
/// How long a pending log-on waits for its code.
pub const PENDING_SECS: i64 = 5 * 60;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// The key's file in the data directory. Without it no secret can be read, so a backup
/// carries it beside the database.
pub const KEY_FILE: &str = "two-factor.key";
/// The one answer to every wrong code.
pub const WRONG_CODE: &str = "The code is wrong or was already used.";
const NONCE_LEN: usize = 12;

/// The key that encrypts TOTP secrets, kept in a file outside the database.
pub struct SecretKey(Key);

impl SecretKey {
    /// Reads the key file, or creates it (mode 0600, 32 random bytes) on first use.
    pub fn load_or_create(path: &Path) -> Result<SecretKey, AppError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        if let Ok(bytes) = std::fs::read(path) {
            return Self::from_bytes(&bytes);
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| AppError::Internal)?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|_| AppError::Internal)?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(|_| AppError::Internal)?;
        Self::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<SecretKey, AppError> {
        if bytes.len() != 32 {
            return Err(AppError::Internal);
        }
        Ok(SecretKey(*Key::from_slice(bytes)))
    }

    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, AppError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| AppError::Internal)?;
        let sealed = ChaCha20Poly1305::new(&self.0)
            .encrypt(Nonce::from_slice(&nonce), plain)
            .map_err(|_| AppError::Internal)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    fn open(&self, stored: &[u8]) -> Result<Vec<u8>, AppError> {
        if stored.len() < NONCE_LEN {
            return Err(AppError::Internal);
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        ChaCha20Poly1305::new(&self.0)
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| AppError::Internal)
    }
}

/// The six-digit code of `secret` at time step `step` (RFC 4226 dynamic truncation).
pub fn code_at(secret: &[u8], step: i64) -> String {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&(step as u64).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let word = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", word % 1_000_000)
}

/// The time step of `now`.
pub fn step_of(now: i64) -> i64 {
    now.div_euclid(STEP)
}

/// What enrolment shows: the secret for manual entry and the `otpauth:` URI for the QR code.
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
}

/// Base32 (RFC 4648, no padding), as authenticator apps take secrets.
fn base32(bytes: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(bytes)
}

/// Decodes a secret as shown at enrolment, with or without its grouping spaces (tests and
/// manual entry use the same form).
pub fn decode_secret(text: &str) -> Option<Vec<u8>> {
    let text: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    data_encoding::BASE32_NOPAD.decode(text.as_bytes()).ok()
}

/// The secret in groups of four, easier to type into an app than 32 letters in a row.
pub fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The QR code of an `otpauth:` address, as an SVG image for the page (drawn on the server,
/// so it shows without JavaScript).
pub fn qr_svg(uri: &str) -> Result<String, AppError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(uri, qrcode::EcLevel::M)
        .map_err(|_| AppError::Internal)?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // Inline in HTML: no XML declaration, and a name for screen readers.
    let start = image.find("<svg").ok_or(AppError::Internal)?;
    Ok(image[start..].replacen(
        "<svg",
        r#"<svg role="img" aria-label="QR code for your authenticator app" class="two-factor__qr-image""#,
        1,
    ))
}

/// Starts (or restarts) enrolment: a new secret, unconfirmed until [`confirm`]. Refused while
/// two-factor is on: it must be turned off first.
pub async fn start(
    db: &AnyPool,
    key: &SecretKey,
    admin: &Admin,
    now: i64,
) -> Result<Enrolment, AppError> {
    let mut secret = [0u8; 20];
    getrandom::fill(&mut secret).map_err(|_| AppError::Internal)?;
    let done = sqlx::query(
        "INSERT INTO admin_two_factor (admin_id, secret, confirmed, last_step, created_at)
         VALUES ($1, $2, 0, 0, $3)
         ON CONFLICT (admin_id) DO UPDATE SET secret = excluded.secret,
             created_at = excluded.created_at WHERE admin_two_factor.confirmed = 0",
    )
    .bind(admin.id)
    .bind(key.seal(&secret)?)
    .bind(now)
    .execute(db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "Two-factor log-on is already on.".into(),
        ));
    }
    Ok(enrolment_of(admin, &secret))
}

/// What enrolment shows for `secret`.
fn enrolment_of(admin: &Admin, secret: &[u8]) -> Enrolment {
    let secret = base32(secret);
    let uri = format!(
        "otpauth://totp/Virtual%20Postmaster:{email}?secret={secret}&issuer=Virtual%20Postmaster&algorithm=SHA1&digits=6&period=30",
        email = admin.email.replace('@', "%40"),
    );
    Enrolment { secret, uri }
}

/// The enrolment started and not yet confirmed, to show again until its code is typed.
pub async fn unconfirmed(
    db: &AnyPool,
    key: &SecretKey,
    admin: &Admin,
) -> Result<Option<Enrolment>, AppError> {
    let sealed: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT secret FROM admin_two_factor WHERE admin_id = $1 AND confirmed = 0",
    )
    .bind(admin.id)
    .fetch_optional(db)
    .await?;
    sealed
        .map(|sealed| Ok(enrolment_of(admin, &key.open(&sealed)?)))
        .transpose()
}

/// How many unused recovery codes the administrator has left.
pub async fn recovery_codes_left(db: &AnyPool, admin_id: i64) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE admin_id = $1")
            .bind(admin_id)
            .fetch_one(db)
            .await?,
    )
}

/// Whether the administrator has two-factor log-on on.
pub async fn enabled<'e>(
    db: impl sqlx::any::AnyExecutor<'e>,
    admin_id: i64,
) -> Result<bool, AppError> {
    let enabled: Flag = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM admin_two_factor WHERE admin_id = $1 AND confirmed = 1)",
    )
    .bind(admin_id)
    .fetch_one(db)
    .await?;
    Ok(enabled.into())
}

/// Checks a TOTP code against the stored secret and, if right, records its step so it is
/// never accepted again. Part of the caller's transaction.
async fn accept_totp(
    conn: &mut AnyConnection,
    key: &SecretKey,
    admin_id: i64,
    code: &str,
    now: i64,
    confirmed: bool,
) -> Result<bool, AppError> {
    let row: Option<(Vec<u8>, i64)> = sqlx::query_as(
        "SELECT secret, last_step FROM admin_two_factor WHERE admin_id = $1 AND confirmed = $2",
    )
    .bind(admin_id)
    .bind(i64::from(confirmed))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((sealed, last_step)) = row else {
        return Ok(false);
    };
    let secret = key.open(&sealed)?;
    let now_step = step_of(now);
    let matched = (now_step - SKEW..=now_step + SKEW)
        .filter(|step| *step > last_step)
        .find(|step| code_at(&secret, *step) == code);
    let Some(step) = matched else {
        return Ok(false);
    };
    sqlx::query("UPDATE admin_two_factor SET last_step = $1 WHERE admin_id = $2")
        .bind(step)
        .bind(admin_id)
        .execute(conn)
        .await?;
    Ok(true)
}

/// Uses up a recovery code if it is one of the administrator's.
async fn accept_recovery(
    conn: &mut AnyConnection,
    admin_id: i64,
    code: &str,
) -> Result<bool, AppError> {
    let done = sqlx::query("DELETE FROM recovery_codes WHERE admin_id = $1 AND code_hash = $2")
        .bind(admin_id)
        .bind(token_hash(&normalise_recovery(code)))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Recovery codes are compared without dashes, spaces or case.
fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A code as typed: digits only for TOTP (spaces allowed), anything short for recovery codes.
fn clean_code(code: &str) -> Result<String, AppError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.is_empty() || code.len() > 32 {
        return Err(AppError::Invalid(
            "Type the six-digit code from your app.".into(),
        ));
    }
    Ok(code)
}

/// Confirms enrolment with a code from the app: two-factor is on, and the ten recovery codes
/// are returned, to be shown once. Audited.
pub async fn confirm(
    db: &AnyPool,
    key: &SecretKey,
    admin: &Admin,
    code: &str,
    client: &str,
    now: i64,
) -> Result<Vec<String>, AppError> {
    let code = clean_code(code)?;
    let mut tx = db.begin().await?;
    if !accept_totp(&mut tx, key, admin.id, &code, now, false).await? {
        return Err(AppError::Invalid(WRONG_CODE.into()));
    }
    sqlx::query("UPDATE admin_two_factor SET confirmed = 1 WHERE admin_id = $1")
        .bind(admin.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE admin_id = $1")
        .bind(admin.id)
        .execute(&mut *tx)
        .await?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let token = new_token()?;
        let code = format!("{}-{}", &token[..5], &token[5..10]);
        sqlx::query("INSERT INTO recovery_codes (admin_id, code_hash) VALUES ($1, $2)")
            .bind(admin.id)
            .bind(token_hash(&normalise_recovery(&code)))
            .execute(&mut *tx)
            .await?;
        codes.push(code);
    }
    record_own(&mut tx, admin, client, Action::TwoFactorEnable).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Audits a change the administrator made to their own two-factor log-on.
async fn record_own(
    conn: &mut AnyConnection,
    admin: &Admin,
    client: &str,
    action: Action,
) -> sqlx::Result<()> {
    let actor = Actor {
        name: &admin.email,
        client_addr: client,
    };
    let domain = Address::domain_of(&admin.email);
    audit::record(
        conn,
        &Entry::new(actor, action, domain.as_deref(), &admin.email),
    )
    .await
}

/// Removes two-factor log-on from an administrator in the caller's transaction.
async fn remove(conn: &mut AnyConnection, admin_id: i64) -> sqlx::Result<()> {
    for table in ["admin_two_factor", "recovery_codes", "pending_log_ons"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE admin_id = $1"))
            .bind(admin_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Turns two-factor off for the signed-in administrator, who proved it with their password
/// (throttled like log on). Audited.
pub async fn disable_with_password(
    db: &AnyPool,
    hasher: &Hasher,
    admin: &Admin,
    password: String,
    client: &str,
) -> Result<(), AppError> {
    admins::check_own_password(
        db,
        hasher,
        admin,
        client,
        password,
        Action::TwoFactorDisable,
    )
    .await?;
    let mut tx = db.begin().await?;
    remove(&mut tx, admin.id).await?;
    record_own(&mut tx, admin, client, Action::TwoFactorDisable).await?;
    tx.commit().await?;
    Ok(())
}

/// The operator's `admin reset-2fa ADDRESS`: two-factor off for one administrator, audited.
pub async fn reset(db: &AnyPool, actor: Actor<'_>, address: &str) -> Result<(), AppError> {
    let address = address.trim().to_lowercase();
    let mut tx = db.begin().await?;
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM admins WHERE email = $1")
        .bind(&address)
        .fetch_optional(&mut *tx)
        .await?;
    let id = id.ok_or_else(|| AppError::NotFound(format!("The administrator {address}")))?;
    remove(&mut tx, id).await?;
    let domain = Address::domain_of(&address);
    audit::record(
        &mut tx,
        &Entry {
            details: "reset by the operator",
            ..Entry::new(actor, Action::TwoFactorDisable, domain.as_deref(), &address)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records a log-on whose password was right and whose code is still due; the token goes in
/// an HttpOnly cookie or hidden field and is stored only as its hash.
pub async fn begin_log_on(
    conn: &mut AnyConnection,
    admin_id: i64,
    client: &str,
    now: i64,
) -> Result<String, AppError> {
    sqlx::query("DELETE FROM pending_log_ons WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let token = new_token()?;
    sqlx::query(
        "INSERT INTO pending_log_ons (token_hash, admin_id, expires_at, client_addr)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash(&token))
    .bind(admin_id)
    .bind(now + PENDING_SECS)
    .bind(client)
    .execute(conn)
    .await?;
    Ok(token)
}

/// The second step: a TOTP or recovery code for the pending log-on of `token`. Throttled like
/// the password (reserved before the check, per address and per client); every outcome is
/// audited, never the code. A right code ends the pending log-on and opens a session.
pub async fn complete_log_on(
    db: &AnyPool,
    key: &SecretKey,
    token: &str,
    code: &str,
    client: &str,
    now: i64,
) -> Result<NewSession, AppError> {
    let pending: Option<(i64, String, Flag)> = sqlx::query_as(
        "SELECT a.id, a.email, a.superadmin FROM pending_log_ons p JOIN admins a ON a.id = p.admin_id
         WHERE p.token_hash = $1 AND p.expires_at > $2 AND a.active = 1",
    )
    .bind(token_hash(token))
    .bind(now)
    .fetch_optional(db)
    .await?;
    let Some((id, email, Flag(superadmin))) = pending else {
        return Err(AppError::Unauthenticated);
    };
    let code = clean_code(code)?;
    let domain = Address::domain_of(&email);
    let subject = throttle::Subject {
        address: &email,
        client_addr: client,
        actor: &email,
        domain: domain.as_deref(),
        action: Action::TwoFactorCode,
        target: &email,
    };
    let attempt = throttle::reserve(db, &subject, now).await?;
    let mut tx = db.begin().await?;
    let right = accept_totp(&mut tx, key, id, &code, now, true).await?
        || accept_recovery(&mut tx, id, &code).await?;
    let actor = Actor {
        name: &email,
        client_addr: client,
    };
    let entry = Entry::new(actor, Action::TwoFactorCode, domain.as_deref(), &email);
    if !right {
        audit::record(
            &mut tx,
            &Entry {
                outcome: Outcome::Failed,
                ..entry
            },
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::Invalid(WRONG_CODE.into()));
    }
    sqlx::query("DELETE FROM pending_log_ons WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&mut *tx)
        .await?;
    let session = open_session(&mut tx, id, client).await?;
    attempt.succeeded(&mut tx).await?;
    audit::record(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(NewSession {
        admin: Admin {
            id,
            email,
            superadmin,
            managed: None,
        },
        token: session,
    })
}
