//! Two-factor log-on: TOTP (RFC 6238: 30-second steps, six digits, HMAC-SHA-1, as every
//! authenticator app expects) and single-use recovery codes.
//!
//! The secret is stored encrypted with a key kept outside the database ([`SecretKey`]) and
//! bound to its administrator, so a copy of the database alone gives no codes away and a
//! sealed secret moved to another administrator's row opens nothing. Recovery codes are kept
//! as an HMAC under a key derived from the same key. After a right password an enrolled
//! administrator gets a pending log-on, not a session: its token grants nothing until a code
//! proves right ([`complete_log_on`]). Wrong codes are capped apart from passwords
//! ([`code_caps`]).

use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool};

use super::admins;
use super::code_caps::{self, Place, Typing};
use super::sessions::{self, new_token, open_session, NewSession, PENDING_SECS};
use crate::context::{Admin, CurrentSession, SessionKey};
use crate::error::AppError;
use crate::ssr::storage::audit::{self, Action, Actor, Entry};
use crate::ssr::storage::db::Flag;
use crate::ssr::storage::hashing::Hasher;
use crate::validate::{Address, Field};

/// Seconds per TOTP step.
const STEP: i64 = 30;
/// Codes one step either side of now are accepted: phones' clocks drift.
const SKEW: i64 = 1;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// The key's file in the data directory. Without it no secret can be read, so a backup
/// carries it beside the database.
pub const KEY_FILE: &str = "two-factor.key";
/// The one answer to every wrong code.
pub const WRONG_CODE: &str = "The code is wrong or was already used.";
const NONCE_LEN: usize = 12;
/// Bytes of a TOTP secret.
const SECRET_LEN: usize = 20;
/// A secret sealed before secrets were bound to their administrator: nonce, ciphertext, tag.
const UNBOUND_LEN: usize = NONCE_LEN + SECRET_LEN + 16;
/// The first byte of a secret sealed with its administrator's id as associated data.
const BOUND: u8 = 1;
/// Characters of a recovery code: Crockford's base32, without the letters that read as digits
/// (I, L, O) or that spell words (U). Each carries 5 bits.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of a recovery code: 80 random bits.
const RECOVERY_LEN: usize = 16;

/// The key file's length: 32 random bytes.
pub const KEY_LEN: usize = 32;

/// The key file at `path`, `None` when there is none. It is opened without following a
/// symlink and refused unless it is a plain file of [`KEY_LEN`] bytes: the mail user owns the
/// directory it is in and could put a link to any file, or a FIFO, in its place.
pub fn read_key_file(path: &Path) -> std::io::Result<Option<[u8; KEY_LEN]>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let mut file = match opened {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() != KEY_LEN as u64 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a plain file of {KEY_LEN} bytes"),
        ));
    }
    let mut key = [0u8; KEY_LEN];
    file.read_exact(&mut key)?;
    Ok(Some(key))
}

/// The key that encrypts TOTP secrets and keys the recovery codes' hashes, kept in a file
/// outside the database.
pub struct SecretKey(Key);

impl SecretKey {
    /// Reads the key file, or creates it (mode 0600, 32 random bytes) on first use.
    pub fn load_or_create(path: &Path) -> Result<SecretKey, AppError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        if let Some(bytes) = read_key_file(path).map_err(|_| AppError::Internal)? {
            return Self::from_bytes(&bytes);
        }
        let mut bytes = [0u8; KEY_LEN];
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
        if bytes.len() != KEY_LEN {
            return Err(AppError::Internal);
        }
        Ok(SecretKey(*Key::from_slice(bytes)))
    }

    /// Seals `plain` for the administrator `admin_id`: their id is the associated data, so the
    /// result opens for them alone.
    fn seal(&self, plain: &[u8], admin_id: i64) -> Result<Vec<u8>, AppError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| AppError::Internal)?;
        let aad = associated_data(admin_id);
        let sealed = ChaCha20Poly1305::new(&self.0)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| AppError::Internal)?;
        Ok([&[BOUND], nonce.as_slice(), &sealed].concat())
    }

    /// Opens a secret sealed for `admin_id`, or one sealed before secrets were bound (which
    /// [`use_up`] seals again, bound, at its next right code).
    fn open(&self, stored: &[u8], admin_id: i64) -> Result<Vec<u8>, AppError> {
        let aad = associated_data(admin_id);
        let (rest, aad) = match stored.split_first() {
            Some((&BOUND, rest)) if rest.len() == UNBOUND_LEN => (rest, aad.as_slice()),
            _ if stored.len() == UNBOUND_LEN => (stored, [].as_slice()),
            _ => return Err(AppError::Internal),
        };
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        ChaCha20Poly1305::new(&self.0)
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
            .map_err(|_| AppError::Internal)
    }

    /// What is stored of the recovery code `code` (as typed) of `admin_id`: an HMAC-SHA-256
    /// under a key derived from this one, so a copy of the database alone cannot test guesses,
    /// and bound to the administrator.
    fn recovery_hash(&self, admin_id: i64, code: &str) -> Vec<u8> {
        let derived = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_slice())
            .expect("HMAC takes any key length")
            .chain_update(b"vpostmaster recovery codes")
            .finalize()
            .into_bytes();
        <Hmac<Sha256> as Mac>::new_from_slice(&derived)
            .expect("HMAC takes any key length")
            .chain_update(admin_id.to_be_bytes())
            .chain_update(normalise_recovery(code).as_bytes())
            .finalize()
            .into_bytes()
            .to_vec()
    }
}

/// The associated data of `admin_id`'s sealed secret.
fn associated_data(admin_id: i64) -> Vec<u8> {
    [
        b"vpostmaster totp secret of admin ".as_slice(),
        &admin_id.to_be_bytes(),
    ]
    .concat()
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
    let mut secret = [0u8; SECRET_LEN];
    getrandom::fill(&mut secret).map_err(|_| AppError::Internal)?;
    let done = sqlx::query(
        "INSERT INTO admin_two_factor (admin_id, secret, confirmed, last_step, created_at)
         VALUES ($1, $2, 0, 0, $3)
         ON CONFLICT (admin_id) DO UPDATE SET secret = excluded.secret,
             created_at = excluded.created_at WHERE admin_two_factor.confirmed = 0",
    )
    .bind(admin.id)
    .bind(key.seal(&secret, admin.id)?)
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
        .map(|sealed| Ok(enrolment_of(admin, &key.open(&sealed, admin.id)?)))
        .transpose()
}

/// How many unused recovery codes the administrator has left, and whether any of them were
/// given before recovery codes held 80 bits and were kept keyed.
pub async fn recovery_codes_left(db: &AnyPool, admin_id: i64) -> Result<(i64, bool), AppError> {
    let (left, old): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), (SELECT COUNT(*) FROM recovery_codes WHERE admin_id = $1 AND keyed = 0)
         FROM recovery_codes WHERE admin_id = $1",
    )
    .bind(admin_id)
    .fetch_one(db)
    .await?;
    Ok((left, old > 0))
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

/// What a typed code can use up, as read before any write: a step of the app's codes not yet
/// used, or else (for an administrator with two-factor log-on on) a recovery code.
enum Candidate {
    /// The step whose code it is, and the secret sealed again, bound to its administrator.
    Step {
        step: i64,
        resealed: Vec<u8>,
    },
    Recovery,
    Nothing,
}

/// Reads what `code` can use up. Nothing is written, and no transaction is held: the pool may
/// be short, and on SQLite a transaction that read first could not write after a concurrent
/// one did.
async fn candidate(
    db: &AnyPool,
    key: &SecretKey,
    admin_id: i64,
    code: &str,
    now: i64,
    confirmed: bool,
) -> Result<Candidate, AppError> {
    let fallback = if confirmed {
        Candidate::Recovery
    } else {
        Candidate::Nothing
    };
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(fallback);
    }
    let row: Option<(Vec<u8>, i64)> = sqlx::query_as(
        "SELECT secret, last_step FROM admin_two_factor WHERE admin_id = $1 AND confirmed = $2",
    )
    .bind(admin_id)
    .bind(i64::from(confirmed))
    .fetch_optional(db)
    .await?;
    let Some((sealed, last_step)) = row else {
        return Ok(Candidate::Nothing);
    };
    let secret = key.open(&sealed, admin_id)?;
    let now_step = step_of(now);
    let matched = (now_step - SKEW..=now_step + SKEW)
        .filter(|step| *step > last_step)
        .find(|step| code_at(&secret, *step) == code);
    Ok(match matched {
        Some(step) => Candidate::Step {
            step,
            resealed: key.seal(&secret, admin_id)?,
        },
        None => fallback,
    })
}

/// Uses up what [`candidate`] found in `conn`, the caller's transaction, if it is still there.
/// A step is recorded by a conditional update whose rows are counted, so that of concurrent
/// requests with one code, on either database, one alone is accepted; the secret is stored
/// sealed again, bound to its administrator, so one sealed before they were bound is bound at
/// its next right code. A recovery code is deleted: one given now (keyed hash), or one given
/// before recovery codes were keyed (plain SHA-256 of the lower-case hex), which keep working
/// until used.
async fn use_up(
    conn: &mut AnyConnection,
    key: &SecretKey,
    admin_id: i64,
    code: &str,
    confirmed: bool,
    candidate: Candidate,
) -> Result<bool, AppError> {
    let done = match candidate {
        Candidate::Nothing => return Ok(false),
        Candidate::Step { step, resealed } => {
            sqlx::query(
                "UPDATE admin_two_factor SET last_step = $1, secret = $2
                 WHERE admin_id = $3 AND confirmed = $4 AND last_step < $1",
            )
            .bind(step)
            .bind(resealed)
            .bind(admin_id)
            .bind(i64::from(confirmed))
            .execute(conn)
            .await?
        }
        Candidate::Recovery => {
            sqlx::query(
                "DELETE FROM recovery_codes WHERE admin_id = $1
                 AND ((keyed = 1 AND code_hash = $2) OR (keyed = 0 AND code_hash = $3))",
            )
            .bind(admin_id)
            .bind(key.recovery_hash(admin_id, code))
            .bind(Sha256::digest(normalise_unkeyed(code).as_bytes()).to_vec())
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// A new recovery code: 80 random bits as 16 characters of [`RECOVERY_ALPHABET`], in groups
/// of four.
fn new_recovery_code() -> Result<String, AppError> {
    let mut bytes = [0u8; RECOVERY_LEN];
    getrandom::fill(&mut bytes).map_err(|_| AppError::Internal)?;
    let chars: Vec<u8> = bytes
        .iter()
        .map(|byte| RECOVERY_ALPHABET[usize::from(byte & 31)])
        .collect();
    Ok(chars
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join("-"))
}

/// A recovery code as it is hashed: without dashes or spaces, upper case, with the letters
/// that look like digits read as those digits.
fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

/// A recovery code of the kind given before they were keyed, as it was hashed: without dashes,
/// spaces or case.
fn normalise_unkeyed(code: &str) -> String {
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

/// Confirms enrolment with a code from the app: two-factor is on, the administrator's other
/// sessions end (they were opened without it), and the ten recovery codes are returned, to be
/// shown once. Audited.
pub async fn confirm(
    db: &AnyPool,
    key: &SecretKey,
    session: &CurrentSession,
    code: &str,
    client: &str,
    now: i64,
) -> Result<Vec<String>, AppError> {
    let admin = &session.admin;
    let code = clean_code(code)?;
    let found = candidate(db, key, admin.id, &code, now, false).await?;
    let mut tx = db.begin().await?;
    if !use_up(&mut tx, key, admin.id, &code, false, found).await? {
        return Err(AppError::Invalid(WRONG_CODE.into()));
    }
    sqlx::query("UPDATE admin_two_factor SET confirmed = 1 WHERE admin_id = $1")
        .bind(admin.id)
        .execute(&mut *tx)
        .await?;
    let codes = replace_recovery_codes(&mut tx, key, admin.id).await?;
    sessions::end_other_sessions(&mut tx, admin.id, Some(&session.token)).await?;
    record_own(&mut tx, admin, client, Action::TwoFactorEnable).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Gives the administrator [`RECOVERY_CODES`] new recovery codes in place of any they had.
async fn replace_recovery_codes(
    conn: &mut AnyConnection,
    key: &SecretKey,
    admin_id: i64,
) -> Result<Vec<String>, AppError> {
    sqlx::query("DELETE FROM recovery_codes WHERE admin_id = $1")
        .bind(admin_id)
        .execute(&mut *conn)
        .await?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let code = new_recovery_code()?;
        sqlx::query("INSERT INTO recovery_codes (admin_id, code_hash, keyed) VALUES ($1, $2, 1)")
            .bind(admin_id)
            .bind(key.recovery_hash(admin_id, &code))
            .execute(&mut *conn)
            .await?;
        codes.push(code);
    }
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

/// Checks a code the signed-in administrator typed on My password before `action` changes
/// their two-factor log-on: a code from the app, or a recovery code (used up). Under the caps
/// of [`code_caps`]: past them the session ends, or the day's codes are refused. A refusal is
/// beside the code field.
pub async fn check_own_code(
    db: &AnyPool,
    key: &SecretKey,
    session: &CurrentSession,
    code: &str,
    client: &str,
    action: Action,
    now: i64,
) -> Result<(), AppError> {
    let code = clean_code(code).map_err(|error| error.on_field(Field::Code))?;
    let typing = Typing {
        admin_id: session.admin.id,
        email: &session.admin.email,
        client,
        place: Place::Session,
        token_hash: session.key().into_bytes(),
        action,
    };
    let attempt = code_caps::reserve(db, &typing, now)
        .await
        .map_err(|error| error.on_field(Field::Code))?;
    let found = candidate(db, key, session.admin.id, &code, now, true).await?;
    let mut tx = db.begin().await?;
    if !use_up(&mut tx, key, session.admin.id, &code, true, found).await? {
        tx.rollback().await?;
        let wrong = AppError::Invalid(WRONG_CODE.into());
        let answer = attempt
            .wrong(db, &typing, "the code was wrong", wrong, now)
            .await?;
        return Err(answer.on_field(Field::Code));
    }
    attempt.give_back(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// What the signed-in administrator types to change their own two-factor log-on.
struct Proof<'a> {
    password: String,
    code: &'a str,
}

/// Checks that the signed-in administrator is who they say before `action`: their password
/// (throttled like log on), then a code (see [`check_own_code`]). A refused password keeps the
/// code typed, as it was not checked.
async fn prove_own(
    db: &AnyPool,
    hasher: &Hasher,
    key: &SecretKey,
    session: &CurrentSession,
    proof: Proof<'_>,
    client: &str,
    action: Action,
) -> Result<(), AppError> {
    admins::check_own_password(db, hasher, &session.admin, client, proof.password, action)
        .await
        .map_err(|error| error.keeping(&[(Field::Code, proof.code)]))?;
    let now = crate::ssr::storage::clock::now();
    check_own_code(db, key, session, proof.code, client, action, now).await
}

/// Turns two-factor off for the signed-in administrator, who proved it with their password
/// (throttled like log on) and a code from the app or a recovery code (see
/// [`check_own_code`]); their other sessions end. Audited. A refusal keeps the code typed
/// when it was not checked.
pub async fn disable(
    db: &AnyPool,
    hasher: &Hasher,
    key: &SecretKey,
    session: &CurrentSession,
    password: String,
    code: &str,
    client: &str,
) -> Result<(), AppError> {
    let admin = &session.admin;
    let proof = Proof { password, code };
    prove_own(
        db,
        hasher,
        key,
        session,
        proof,
        client,
        Action::TwoFactorDisable,
    )
    .await?;
    let mut tx = db.begin().await?;
    remove(&mut tx, admin.id).await?;
    sessions::end_other_sessions(&mut tx, admin.id, Some(&session.token)).await?;
    record_own(&mut tx, admin, client, Action::TwoFactorDisable).await?;
    tx.commit().await?;
    Ok(())
}

/// Gives the signed-in administrator new recovery codes in place of the old ones, after their
/// password and a code, as turning it off asks; audited. The codes are shown once.
pub async fn renew_recovery_codes(
    db: &AnyPool,
    hasher: &Hasher,
    key: &SecretKey,
    session: &CurrentSession,
    password: String,
    code: &str,
    client: &str,
) -> Result<Vec<String>, AppError> {
    let admin = &session.admin;
    let proof = Proof { password, code };
    prove_own(
        db,
        hasher,
        key,
        session,
        proof,
        client,
        Action::TwoFactorCodes,
    )
    .await?;
    let mut tx = db.begin().await?;
    let codes = replace_recovery_codes(&mut tx, key, admin.id).await?;
    record_own(&mut tx, admin, client, Action::TwoFactorCodes).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Drops an enrolment started and not confirmed: two-factor log-on stays off.
pub async fn cancel(db: &AnyPool, admin: &Admin) -> Result<(), AppError> {
    sqlx::query("DELETE FROM admin_two_factor WHERE admin_id = $1 AND confirmed = 0")
        .bind(admin.id)
        .execute(db)
        .await?;
    Ok(())
}

/// The operator's `admin reset-2fa ADDRESS`: two-factor off for one administrator, their
/// sessions ended and their wrong codes forgotten, audited.
pub async fn reset(db: &AnyPool, actor: Actor<'_>, address: &str) -> Result<(), AppError> {
    let address = address.trim().to_lowercase();
    let mut tx = db.begin().await?;
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM admins WHERE email = $1")
        .bind(&address)
        .fetch_optional(&mut *tx)
        .await?;
    let id = id.ok_or_else(|| AppError::NotFound(format!("The administrator {address}")))?;
    remove(&mut tx, id).await?;
    sessions::end_other_sessions(&mut tx, id, None).await?;
    code_caps::forget(&mut tx, id).await?;
    let domain = Address::domain_of(&address);
    audit::record(
        &mut tx,
        &Entry {
            details: "reset by the operator; their sessions ended",
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
    .bind(SessionKey::of_token(&token).into_bytes())
    .bind(admin_id)
    .bind(now + PENDING_SECS)
    .bind(client)
    .execute(conn)
    .await?;
    Ok(token)
}

/// The second step: a TOTP or recovery code for the pending log-on of `token`, under the caps
/// of [`code_caps`] (a right password never resets them); every outcome is audited, never the
/// code. A right code ends the pending log-on and opens one session, however many right codes
/// race for it.
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
    .bind(SessionKey::of_token(token).into_bytes())
    .bind(now)
    .fetch_optional(db)
    .await?;
    let Some((id, email, Flag(superadmin))) = pending else {
        return Err(AppError::Unauthenticated);
    };
    let code = clean_code(code)?;
    let typing = Typing {
        admin_id: id,
        email: &email,
        client,
        place: Place::LogOn,
        token_hash: SessionKey::of_token(token).into_bytes(),
        action: Action::TwoFactorCode,
    };
    let attempt = code_caps::reserve(db, &typing, now).await?;
    let found = candidate(db, key, id, &code, now, true).await?;
    let mut tx = db.begin().await?;
    if !use_up(&mut tx, key, id, &code, true, found).await? {
        tx.rollback().await?;
        let wrong = AppError::Invalid(WRONG_CODE.into());
        return Err(attempt.wrong(db, &typing, "", wrong, now).await?);
    }
    let ended =
        sqlx::query("DELETE FROM pending_log_ons WHERE token_hash = $1 AND expires_at > $2")
            .bind(&typing.token_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    if ended.rows_affected() != 1 {
        // Another right code took this pending log-on first: the step stays unused here.
        tx.rollback().await?;
        attempt.give_back(&mut *db.acquire().await?).await?;
        return Err(AppError::Unauthenticated);
    }
    let session = open_session(&mut tx, id, client).await?;
    attempt.give_back(&mut tx).await?;
    let domain = Address::domain_of(&email);
    let actor = Actor {
        name: &email,
        client_addr: client,
    };
    audit::record(
        &mut tx,
        &Entry::new(actor, Action::TwoFactorCode, domain.as_deref(), &email),
    )
    .await?;
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
