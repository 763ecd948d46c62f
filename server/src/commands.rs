//! What each command does. Operator commands call the same services as the web console.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use app::csv;
use app::error::AppError;
use app::ssr::clock::now;
use app::ssr::db::Location;
use app::ssr::mailstore::{is_root, ActingAs, Doveadm, MailStore, MailUser};
use app::ssr::routing::no_account;
use app::ssr::sessions::SessionPolicy;
use app::ssr::Actor;
use app::ssr::AppState;
use app::ssr::Batches;
use app::ssr::Hasher;
use app::ssr::RunningAdds;
use app::ssr::{
    access::admins, services::accounts, services::aliases, services::autoreply,
    services::catch_all, services::export, services::forwarding, storage::clock, storage::db,
    storage::domains,
};
use app::ssr::{Caller, DomainScope};

use app::validate::domain::parse_address;
use app::validate::{generate_password, Address, PasswordContext, BULK_MAX_BYTES, DEFAULT_LEN};
use app::words::counted;
use futures_util::TryStreamExt;
use sqlx::AnyPool;

use crate::cli::{
    AccountCommand, AdminCommand, AliasCommand, Cli, Command, DomainCommand, DovecotConfigArgs,
    MailArgs, OperatorCommand, PostfixConfigArgs, ServeArgs,
};
use crate::config_files::{self, ConfigFile};
use crate::dovecot::DEFAULT_DOVECOT_CONF;
use crate::postfix::PostfixConfig;
use crate::template::absolute;

/// The demo domain and postmaster that `make run` sets up.
const DEMO_DOMAIN: &str = "example.test";
const DEMO_POSTMASTER: &str = "postmaster@example.test";
/// The demo's mail account, which `make run` shows mail arriving for.
const DEMO_ACCOUNT: &str = "demo@example.test";

/// Runs the command; an error is one line for the operator.
pub async fn run(cli: Cli) -> Result<(), String> {
    let database = cli.database()?;
    let command = match cli.command {
        Some(command) => command,
        None => Command::Serve(ServeArgs::from_env()?),
    };
    match command {
        Command::Serve(args) => crate::web::serve(&cli.data_dir, &database, &cli.mail, args).await,
        Command::Operator(command) => operate(&cli.data_dir, &database, &cli.mail, command).await,
        Command::DovecotConfig(args) => {
            print_dovecot_config(&cli.data_dir, &database, &cli.mail, &args)
        }
        Command::PostfixConfig(args) => print_postfix_config(&cli.data_dir, &database, &args),
        Command::MailRoles(args) => {
            print!(
                "{}",
                crate::mail_roles::sql_for(database.url(), &args.mail_roles_dir)?
            );
            Ok(())
        }
        Command::Check(args) => crate::check::run(&cli.data_dir, &database, &cli.mail, &args).await,
        Command::Backup(args) => {
            sqlite_only(&database, "backup")?;
            crate::backup::backup(&cli.data_dir, &cli.mail, &args.dir, args.mail).await
        }
        Command::Restore(args) => {
            sqlite_only(&database, "restore")?;
            crate::backup::restore(&cli.data_dir, &cli.mail, &args.dir, args.replace).await
        }
        Command::DemoMailServer => {
            crate::demo_mail::run(&cli.data_dir, cli.mail.user()?, DEMO_ACCOUNT).await
        }
        Command::MigrateTo(args) => {
            crate::migrate_to::run(&cli.data_dir, &database, &args.url()?).await
        }
    }
}

impl MailArgs {
    /// The mail user these settings name.
    pub fn user(&self) -> Result<MailUser, String> {
        MailUser::resolve(&self.mail_user, self.mail_uid, self.mail_gid)
    }

    /// Dovecot's main configuration file: `--dovecot-conf`, or Debian's.
    pub fn dovecot_conf_path(&self) -> PathBuf {
        self.dovecot_conf
            .clone()
            .unwrap_or_else(|| DEFAULT_DOVECOT_CONF.into())
    }

    /// The mail store under `data_dir`, owned by the mail user, resyncing through `doveadm`
    /// when a Dovecot configuration is given.
    pub fn store(&self, data_dir: &Path) -> Result<MailStore, String> {
        let doveadm = self.dovecot_conf.as_deref().and_then(Doveadm::find);
        if self.dovecot_conf.is_some() && doveadm.is_none() {
            tracing::warn!("doveadm or the Dovecot configuration is missing: rebuilds will not ask Dovecot to resync");
        }
        Ok(MailStore::open(data_dir, self.user()?)
            .map_err(|error| error.to_string())?
            .with_doveadm(doveadm))
    }

    /// Run as root: makes the data directory if it is missing, hands it and the database's
    /// files to the mail user, and acts as the mail user until the value returned is dropped.
    /// The mail user owns every name inside and could plant a symlink that a command run as
    /// root would follow; acting as the mail user, it leads nowhere that user could not go.
    pub fn act_in(&self, data_dir: &Path) -> Result<Option<ActingAs>, String> {
        use std::os::unix::fs::PermissionsExt;
        if !is_root() {
            return Ok(None);
        }
        let user = self.user()?;
        let fail = |source| {
            db::OpenError::DataDir {
                path: data_dir.to_path_buf(),
                source,
            }
            .to_string()
        };
        std::fs::create_dir_all(data_dir).map_err(fail)?;
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(db::DATA_DIR_MODE))
            .map_err(fail)?;
        user.hand_over_database(data_dir, db::DB_FILE)
            .map_err(|error| error.to_string())?;
        let acting = user
            .act_as()
            .map_err(|error| format!("cannot act as the mail user {}: {error}", user.name))?;
        if let Err(error) = std::fs::read_dir(data_dir) {
            return Err(format!(
                "the mail user {} cannot enter {}: {error}; every directory above it must let \
                 that user pass (chmod o+x)",
                user.name,
                data_dir.display()
            ));
        }
        Ok(acting)
    }
}

/// Prints `dovecot.conf`, or with `--sql` its SQL part, or with `--dict` its dict part, for this
/// data directory; with `--write`, writes all three in place.
fn print_dovecot_config(
    data_dir: &Path,
    database: &Location,
    mail: &MailArgs,
    args: &DovecotConfigArgs,
) -> Result<(), String> {
    let url = database.url().map(str::to_owned);
    let config = args.server.config(absolute(data_dir)?, url, mail.user()?);
    let text = if args.write {
        return write_files(&config.files(&mail.dovecot_conf_path())?, args.replace);
    } else if args.sql {
        config.sql()?
    } else if args.dict {
        config.dict()?
    } else {
        config.main()?
    };
    print!("{text}");
    Ok(())
}

/// Prints the `main.cf` settings, or with `--table` one lookup table, for this data directory;
/// with `--write`, writes the three tables in place.
fn print_postfix_config(
    data_dir: &Path,
    database: &Location,
    args: &PostfixConfigArgs,
) -> Result<(), String> {
    let config = PostfixConfig {
        data_dir: absolute(data_dir)?,
        database_url: database.url().map(str::to_owned),
        tables_dir: args.tables_dir.clone(),
        mail_roles_dir: args.roles.mail_roles_dir.clone(),
    };
    let text = if args.write {
        return write_files(&config.files(&config_files::postfix_user()?)?, args.replace);
    } else {
        match args.table {
            Some(table) => config.table(table)?,
            None => config.main()?,
        }
    };
    print!("{text}");
    Ok(())
}

/// Writes configuration files and says what became of each.
fn write_files(files: &[ConfigFile], replace: bool) -> Result<(), String> {
    for line in config_files::write(files, replace)? {
        println!("{line}");
    }
    Ok(())
}

/// `backup` and `restore` copy the SQLite file; PostgreSQL has its own tools for that.
fn sqlite_only(database: &Location, command: &str) -> Result<(), String> {
    match database {
        Location::File(_) => Ok(()),
        Location::Server(_) => Err(format!(
            "{command} copies the SQLite database of the data directory; with PostgreSQL use \
             pg_dump and pg_restore for the database (README.md, \"Choosing the database\")"
        )),
    }
}

/// Runs an operator command against the database.
async fn operate(
    data_dir: &Path,
    database: &Location,
    mail: &MailArgs,
    command: OperatorCommand,
) -> Result<(), String> {
    // The file to import is the operator's to name, and may be root's alone to read.
    let import_file = match &command {
        OperatorCommand::Import { file, .. } => Some(
            std::fs::File::open(file)
                .map_err(|error| format!("cannot read {}: {error}", file.display()))?,
        ),
        _ => None,
    };
    // Rebuild mailbox gives back to the mail user what a copy as root took away, which only
    // root can: it stays root, and works through handles that never follow a symlink.
    let _acting = match command {
        OperatorCommand::Account(AccountCommand::Rebuild { .. }) => None,
        _ => mail.act_in(data_dir)?,
    };
    let db = db::open_at(data_dir, database)
        .await
        .map_err(|error| error.to_string())?;
    let store = mail.store(data_dir);
    let result = execute(&db, &Hasher::default(), store, command, import_file).await;
    db.close().await;
    result.map_err(|error| error.to_string())
}

async fn execute(
    db: &AnyPool,
    hasher: &Hasher,
    store: Result<MailStore, String>,
    command: OperatorCommand,
    import_file: Option<std::fs::File>,
) -> Result<(), AppError> {
    let store = || store.clone().map_err(AppError::Invalid);
    match command {
        OperatorCommand::Domain(DomainCommand::Add { name, description }) => {
            let name = domains::add(db, &name, &description, Actor::CLI).await?;
            println!("Added the domain {name}.");
            Ok(())
        }
        OperatorCommand::Domain(DomainCommand::List) => list_domains(db).await,
        OperatorCommand::Domain(DomainCommand::Disable { name }) => {
            let name = domains::set_active(db, &name, false, Actor::CLI).await?;
            println!("Disabled {name}: its accounts can no longer log in, nor its postmasters manage it. Enable it again with: vpostmaster domain enable {name}");
            Ok(())
        }
        OperatorCommand::Domain(DomainCommand::Enable { name }) => {
            let name = domains::set_active(db, &name, true, Actor::CLI).await?;
            println!("Enabled {name}: its active accounts can log in again.");
            Ok(())
        }
        OperatorCommand::Domain(DomainCommand::CatchAll {
            name,
            target,
            off: _,
        }) => {
            let domain = domain_named(db, &name).await?;
            let target = target.unwrap_or_default();
            match catch_all::set(db, &domain, &target).await? {
                Some(target) => println!(
                    "Mail to addresses of {} that are neither accounts nor aliases now goes to {target}.",
                    domain.domain()
                ),
                None => println!(
                    "The catch-all of {} is off: mail to unknown addresses is refused.",
                    domain.domain()
                ),
            }
            Ok(())
        }
        OperatorCommand::Admin(AdminCommand::Add {
            email,
            domain,
            superadmin,
            password_stdin,
        }) => {
            let scope = match (&domain, superadmin) {
                (Some(domain), false) => admins::Scope::Domain(domain),
                _ => admins::Scope::Superadmin,
            };
            let (password, generated) = password_for(&email, password_stdin)?;
            let email = admins::add(db, hasher, &email, scope, &password, Actor::CLI).await?;
            match domain {
                Some(domain) => println!("Added the postmaster {email} for {domain}."),
                None => println!("Added the superadmin {email}."),
            }
            print_generated(generated.then_some(&password));
            Ok(())
        }
        OperatorCommand::Admin(AdminCommand::Passwd {
            email,
            password_stdin,
        }) => {
            let (password, generated) = password_for(&email, password_stdin)?;
            admins::set_password(db, hasher, &email, &password, Actor::CLI, None).await?;
            println!("Changed the password of {}.", email.to_ascii_lowercase());
            print_generated(generated.then_some(&password));
            Ok(())
        }
        OperatorCommand::Admin(AdminCommand::List) => list_admins(db).await,
        OperatorCommand::Admin(AdminCommand::Disable { email }) => {
            let email = email.trim().to_ascii_lowercase();
            admins::set_active(db, &email, false, Actor::CLI).await?;
            println!("Disabled the administrator {email}; their sessions have ended.");
            Ok(())
        }
        OperatorCommand::Admin(AdminCommand::Enable { email }) => {
            let email = email.trim().to_ascii_lowercase();
            admins::set_active(db, &email, true, Actor::CLI).await?;
            println!("Enabled the administrator {email}.");
            Ok(())
        }
        OperatorCommand::Admin(AdminCommand::Remove { email }) => {
            let email = email.trim().to_ascii_lowercase();
            admins::remove(db, &email, Actor::CLI).await?;
            println!("Removed the administrator {email}.");
            Ok(())
        }
        OperatorCommand::Admin(AdminCommand::Reset2fa { email }) => {
            let email = email.trim().to_ascii_lowercase();
            app::ssr::two_factor::reset(db, Actor::CLI, &email).await?;
            println!("Turned two-factor log-on off for {email}.");
            Ok(())
        }
        OperatorCommand::Demo { mail_account } => {
            demo(&operator_state(db, hasher, store()?), mail_account).await
        }
        OperatorCommand::Purge { clock_is_right } => {
            if clock_is_right {
                clock::confirm(db, Caller::Operator.actor(), now()).await?;
            }
            // The retention rule purges, as the server's hourly purge does: audited as the
            // system's doing whoever runs it.
            let purged = accounts::purge_expired(db, &store()?, accounts::RETENTION_DAYS).await?;
            println!(
                "Purged {} deleted more than {} days ago.",
                counted(purged.len() as u64, "account", "accounts"),
                accounts::RETENTION_DAYS
            );
            Ok(())
        }
        OperatorCommand::Account(AccountCommand::Forward {
            email,
            targets,
            no_copy,
            off: _,
        }) => {
            let address = email.trim().to_ascii_lowercase();
            let domain = domain_of(db, &address).await?;
            let set = forwarding::set(db, &domain, &address, &targets.join(" "), !no_copy).await?;
            if set.targets.is_empty() {
                println!("Mail to {address} stays in its mailbox: forwarding is off.");
            } else {
                let copy = if set.keep_copy {
                    "keeping a copy"
                } else {
                    "without a copy"
                };
                println!(
                    "Mail to {address} is forwarded to {}, {copy}.",
                    set.targets.join(", ")
                );
            }
            Ok(())
        }
        OperatorCommand::Alias(command) => alias(db, command).await,
        OperatorCommand::Export { domain } => export(db, &domain).await,
        OperatorCommand::Import {
            domain,
            file,
            dry_run,
            generate_missing,
        } => {
            let state = operator_state(db, hasher, store()?);
            let opened = import_file.ok_or(AppError::Internal)?;
            import(&state, &domain, &file, opened, dry_run, generate_missing).await
        }
        OperatorCommand::Account(AccountCommand::Rebuild { email }) => {
            let state = operator_state(db, hasher, store()?);
            let domain = Address::domain_of(&email).ok_or_else(|| no_account(&email))?;
            let scope = DomainScope::of(db, Caller::Operator, Some(&domain)).await?;
            let report = accounts::rebuild(&state, &scope, &email).await?;
            println!("Rebuilt the mailbox of {}.", email.trim().to_lowercase());
            for line in report.lines() {
                println!("  {line}");
            }
            Ok(())
        }
        OperatorCommand::Account(AccountCommand::Autoreply {
            email,
            subject,
            text,
            from,
            until,
            off,
        }) => {
            let email = email.trim().to_lowercase();
            let domain = domain_of(db, &email).await?;
            if off {
                autoreply::turn_off(db, &domain, &email).await?;
                println!("Turned off the auto-reply of {email}.");
                return Ok(());
            }
            let input = autoreply::ReplyInput {
                subject: subject.as_deref().unwrap_or_default(),
                text: text.as_deref().unwrap_or_default(),
                starts_on: from.as_deref().unwrap_or_default(),
                ends_on: until.as_deref().unwrap_or_default(),
            };
            autoreply::set(db, &domain, &email, input).await?;
            println!("Turned on the auto-reply of {email}.");
            Ok(())
        }
    }
}

/// What the services that the web runs with its state need, for the operator's commands.
fn operator_state(db: &AnyPool, hasher: &Hasher, mail: MailStore) -> AppState {
    AppState {
        db: db.clone(),
        hasher: hasher.clone(),
        policy: SessionPolicy::default(),
        batches: Batches::default(),
        mail,
        progress: RunningAdds::default(),
        two_factor: Default::default(),
    }
}

/// Prints the domain's live accounts as CSV, a page at a time as they are read.
async fn export(db: &AnyPool, name: &str) -> Result<(), AppError> {
    let domain = domain_named(db, name).await?;
    export::record(db, &domain).await?;
    let mut lines = std::pin::pin!(export::accounts_csv(db.clone(), &domain));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    while let Some(text) = lines.try_next().await? {
        out.write_all(text.as_bytes()).map_err(written)?;
    }
    out.flush().map_err(written)
}

fn written(error: std::io::Error) -> AppError {
    AppError::Invalid(format!("cannot write the export: {error}"))
}

/// Adds (or with `dry_run` checks) the accounts of the import file `file`, opened as
/// `opened`, audited as the operator's; prints the generated passwords once, as CSV.
async fn import(
    state: &AppState,
    name: &str,
    file: &Path,
    opened: std::fs::File,
    dry_run: bool,
    generate_missing: bool,
) -> Result<(), AppError> {
    let scope = DomainScope::of(&state.db, Caller::Operator, Some(name)).await?;
    let text = read_import_file(file, opened)?;
    let batch = accounts::import(state, &scope, &text, generate_missing, dry_run).await?;
    let count = counted(batch.accounts.len() as u64, "account", "accounts");
    if dry_run {
        eprintln!(
            "{count} can be added to {}; nothing was added.",
            scope.domain()
        );
        return Ok(());
    }
    eprintln!("Added {count} to {}.", scope.domain());
    let generated: Vec<String> = batch
        .accounts
        .iter()
        .filter_map(|account| {
            let password = account.generated_password.as_deref()?;
            Some(csv::row(&[account.email.as_str(), password]))
        })
        .collect();
    if !generated.is_empty() {
        eprintln!("Generated passwords follow; they are shown only this once.");
        print!("{}{}", csv::row(&["email", "password"]), generated.concat());
    }
    Ok(())
}

/// The text of the import file `file`, opened as `opened`, refused when larger than a paste may
/// be before more than that is read: a file of gigabytes, or a device that never ends, costs
/// no memory.
fn read_import_file(file: &Path, opened: std::fs::File) -> Result<String, AppError> {
    let cannot = |error: std::io::Error| {
        AppError::Invalid(format!("cannot read {}: {error}", file.display()))
    };
    let too_large = || {
        AppError::Invalid(format!(
            "{} is larger than 1 MiB: split it into smaller files and import them one after \
             another.",
            file.display()
        ))
    };
    let limit = BULK_MAX_BYTES as u64;
    if opened.metadata().map_err(cannot)?.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    opened
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|_| {
        AppError::Invalid(format!(
            "cannot read {}: it is not UTF-8 text",
            file.display()
        ))
    })
}

/// The domain called `name`, which must exist.
async fn domain_named(db: &AnyPool, name: &str) -> Result<DomainScope, AppError> {
    DomainScope::of(db, Caller::Operator, Some(name)).await
}

/// Runs an alias command through the services the console uses, audited as the operator's.
async fn alias(db: &AnyPool, command: AliasCommand) -> Result<(), AppError> {
    match command {
        AliasCommand::Add { address, targets } => {
            let domain = domain_of(db, &address).await?;
            let address = aliases::add(db, &domain, &address, &targets.join(" ")).await?;
            println!("Added the alias {address}.");
        }
        AliasCommand::List { domain } => {
            let domain = domain_named(db, &domain).await?;
            let mut page = 1;
            loop {
                let listed = aliases::list(db, &domain, "", page).await?;
                if listed.total == 0 {
                    println!("{} has no aliases yet.", domain.domain());
                }
                for row in listed.rows {
                    println!("{}\t{}", row.address, row.targets);
                }
                if page >= listed.pages {
                    break;
                }
                page += 1;
            }
        }
        AliasCommand::Edit { address, targets } => {
            let domain = domain_of(db, &address).await?;
            aliases::update(db, &domain, &address, &targets.join(" ")).await?;
            println!("Changed the alias {}.", address.trim().to_ascii_lowercase());
        }
        AliasCommand::Remove { address } => {
            let domain = domain_of(db, &address).await?;
            aliases::delete(db, &domain, &[&address]).await?;
            println!(
                "Deleted the alias {}; it can be restored for {} days with: vpostmaster alias restore {0}",
                address.trim().to_ascii_lowercase(),
                accounts::RETENTION_DAYS
            );
        }
        AliasCommand::Restore { address } => {
            let domain = domain_of(db, &address).await?;
            let id = aliases::last_deleted(db, &domain, &address).await?;
            let address = aliases::restore(db, &domain, id).await?;
            println!("Restored the alias {address}.");
        }
    }
    Ok(())
}

/// The domain of a full address, which must exist.
async fn domain_of(db: &AnyPool, address: &str) -> Result<DomainScope, AppError> {
    let domain = Address::domain_of(address).ok_or_else(|| {
        AppError::Invalid(format!(
            "give the full address, such as sales@example.com, not {:?}",
            address.trim()
        ))
    })?;
    domain_named(db, &domain).await
}

/// The password from stdin's first line, or a generated one (then `true`).
fn password_for(email: &str, from_stdin: bool) -> Result<(String, bool), AppError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|error| {
                AppError::Invalid(format!(
                    "cannot read the password from standard input: {error}"
                ))
            })?;
        let password = line.strip_suffix('\n').unwrap_or(&line);
        let password = password.strip_suffix('\r').unwrap_or(password);
        return Ok((password.to_owned(), false));
    }
    let (local, domain) = parse_address(email).map_err(AppError::Invalid)?;
    let context = PasswordContext {
        username: &local,
        first_name: "",
        last_name: "",
        domain: &domain,
    };
    let password = generate_password(&context, DEFAULT_LEN).map_err(|_| AppError::Internal)?;
    Ok((password, true))
}

fn print_generated(password: Option<&String>) {
    if let Some(password) = password {
        println!("Password: {password}");
        println!("Note it now: it is shown only this once and cannot be shown again.");
    }
}

async fn list_domains(db: &AnyPool) -> Result<(), AppError> {
    let domains = domains::list(db).await?;
    if domains.is_empty() {
        println!("No domains yet. Add one with: vpostmaster domain add NAME");
    }
    for domain in domains {
        let state = if domain.active { "active" } else { "disabled" };
        println!(
            "{}\t{}\t{}\t{}",
            domain.name,
            state,
            counted(domain.mailboxes as u64, "account", "accounts"),
            domain.description
        );
    }
    Ok(())
}

async fn list_admins(db: &AnyPool) -> Result<(), AppError> {
    let admins = admins::list(db).await?;
    if admins.is_empty() {
        println!("No administrators yet. Add one with: vpostmaster admin add EMAIL --domain NAME");
    }
    for admin in admins {
        let scope = if admin.superadmin {
            "superadmin".to_owned()
        } else {
            admin.domains
        };
        let state = if admin.active { "active" } else { "disabled" };
        println!("{}\t{}\t{}", admin.email, state, scope);
    }
    Ok(())
}

/// Creates what is missing of the demo setup (with the mail account when asked), printing each
/// new password once.
async fn demo(state: &AppState, mail_account: bool) -> Result<(), AppError> {
    let db = &state.db;
    if domains::id_of(db, DEMO_DOMAIN).await.is_err() {
        domains::add(db, DEMO_DOMAIN, "Demo domain", Actor::CLI).await?;
        println!("Added the demo domain {DEMO_DOMAIN}.");
    }
    if admins::exists(db, DEMO_POSTMASTER).await? {
        println!(
            "The postmaster {DEMO_POSTMASTER} exists; its password is unchanged \
             (set a new one with: vpostmaster admin passwd {DEMO_POSTMASTER})."
        );
    } else {
        let (password, _) = password_for(DEMO_POSTMASTER, false)?;
        admins::add(
            db,
            &state.hasher,
            DEMO_POSTMASTER,
            admins::Scope::Domain(DEMO_DOMAIN),
            &password,
            Actor::CLI,
        )
        .await?;
        println!("Added the postmaster {DEMO_POSTMASTER}.");
        print_generated(Some(&password));
    }
    if !mail_account {
        return Ok(());
    }
    let scope = DomainScope::of(db, Caller::Operator, Some(DEMO_DOMAIN)).await?;
    match accounts::detail(db, &scope, DEMO_ACCOUNT).await {
        Ok(_) => return Ok(()),
        Err(AppError::NotFound(_) | AppError::Deleted(..)) => {}
        Err(error) => return Err(error),
    }
    let (password, _) = password_for(DEMO_ACCOUNT, false)?;
    accounts::add_one(
        state,
        &scope,
        accounts::OneAccount {
            username: DEMO_ACCOUNT.to_owned(),
            first_name: "Demo".to_owned(),
            last_name: String::new(),
            password: password.clone(),
            password_again: password.clone(),
            ..Default::default()
        },
        None,
    )
    .await?;
    println!("Added the mail account {DEMO_ACCOUNT}.");
    print_generated(Some(&password));
    Ok(())
}
