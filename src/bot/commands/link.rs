//! `/link code|join|accept|list|leave|remove`: reading together across Discord and Matrix. A
//! moderator of a community issues a one-time code; a moderator of a Matrix room or another
//! Discord server uses it there, which asks to join; a moderator of the first side, seeing
//! who asks, accepts, and that room or server joins the community: one shelf, one discussion
//! tree per article, one web publication. Both sides must act, and the side that gave the code
//! acts last, so a code seen by others (Matrix replies are seen by the whole room) lets no one
//! in unchecked; either side undoes it. Listing is for anyone.

use chrono::Duration;
use sha2::{Digest, Sha256};

use super::{ArgKind, ArgSpec, Args, CommandError, CommandSpec, Run};
use crate::bot::{Bot, Context, Failure, Handled, Platform, Reply, user_error};
use crate::store::{AcceptOutcome, Community, JoinOutcome, REQUEST_WAITS};

/// How long a code may be used.
const CODE_VALID: Duration = Duration::minutes(15);
/// Characters of a code: no 0/O, 1/I, so it can be read out and typed without doubt.
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Characters in a code (80 random bits), shown in groups of four.
const CODE_CHARS: usize = 16;

pub const SPEC: CommandSpec = CommandSpec::group(
    "link",
    "Read together with a Matrix room or another server: code, join, accept, list, leave, remove",
    &[
        CommandSpec::leaf(
            "link code",
            "A one-time code that brings a Matrix room or another server into this community",
            &[],
            true,
            "",
            |_| Ok(Box::new(Code)),
        )
        .private(),
        CommandSpec::leaf(
            "link join",
            "Bring this room or server into the community whose moderator gave you the code",
            &[ArgSpec::new(
                "code",
                "The code from link code on the other side",
                ArgKind::Text,
                true,
            )],
            true,
            "ABCD-EFGH-JKMN-PQRS",
            |args| Ok(Box::new(parse_join(args)?)),
        ),
        CommandSpec::leaf(
            "link list",
            "The rooms and servers that read together with this one",
            &[],
            false,
            "",
            |_| Ok(Box::new(List)),
        ),
        CommandSpec::leaf(
            "link leave",
            "Take this room or server out of the community it joined",
            &[],
            true,
            "",
            |_| Ok(Box::new(Leave)),
        ),
        CommandSpec::leaf(
            "link remove",
            "Take a linked room or server (its number in link list) out of this community",
            &[ArgSpec::new(
                "number",
                "Its number in link list",
                ArgKind::Count {
                    min: 1,
                    max: 1000,
                    unit: "linked rooms or servers",
                },
                true,
            )],
            true,
            "1",
            |args| Ok(Box::new(parse_remove(args)?)),
        ),
        CommandSpec::leaf(
            "link accept",
            "Let in a room or server that asked to join with this community's code",
            &[ArgSpec::new(
                "number",
                "Its number among the requests in link list, when there are several",
                ArgKind::Count {
                    min: 1,
                    max: 1000,
                    unit: "requests",
                },
                false,
            )],
            true,
            "1",
            |args| Ok(Box::new(Accept { number: args.count("number")? })),
        ),
    ],
)
.defaults_to("list");

/// A fresh code, `ABCD-EFGH-JKMN-PQRS`, from the operating system's generator.
pub(crate) fn new_code() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; CODE_CHARS];
    getrandom::fill(&mut bytes)?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect();
    Ok(chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// A code as typed (any case, with or without dashes and spaces) in its one form, or `None`
/// when it cannot be one.
fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.chars().count() == CODE_CHARS && code.bytes().all(|b| ALPHABET.contains(&b)))
        .then_some(code)
}

/// What the store keeps of a code (in its one form, see [`normalise`]): its SHA-256, so the
/// table does not hold usable codes.
fn code_hash(code: &str) -> String {
    Sha256::digest(code.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The community for a reader: its kind and name.
fn describe(community: &Community) -> String {
    let name = community.name.as_deref().unwrap_or(&community.external_id);
    match community.platform.as_str() {
        "discord" => format!("the Discord server “{name}”"),
        "matrix" => format!("the Matrix room “{name}”"),
        _ => format!("the console “{name}”"),
    }
}

/// What the caller's community is on their platform.
fn kind(ctx: &Context) -> &'static str {
    match ctx.platform {
        Platform::Discord => "server",
        Platform::Matrix => "room",
        Platform::Console => "console",
    }
}

/// Refuses what only the moderators of the community a joined one reads in decide (codes
/// that bring others in, the web publication): they never agreed to the joined side's.
pub(super) fn main_decides(ctx: &Context, community: &Community, what: &str) -> Result<(), Failure> {
    match community.joined_from {
        Some(_) => Err(user_error(format!(
            "This {} reads with {}; {what} is for its moderators there.",
            kind(ctx),
            describe(community)
        ))),
        None => Ok(()),
    }
}

#[derive(Debug)]
struct Code;

#[async_trait::async_trait]
impl Run for Code {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let community = bot.community(ctx).await?;
        main_decides(ctx, &community, "bringing others in")?;
        let code = new_code().map_err(|error| {
            tracing::error!(%error, "no randomness for a link code");
            user_error("The bot could not make a code just now; try again.")
        })?;
        let now = bot.now();
        let by = format!("{}:{}", ctx.platform.as_str(), ctx.user.id);
        bot.store()
            .issue_link_code(
                community.id,
                &code_hash(&code.replace('-', "")),
                &by,
                now,
                now + CODE_VALID,
            )
            .await?;
        tracing::info!(target: "audit", community = community.id, by = %ctx.user.id, "link code issued");
        // Matrix shows every answer to the whole room: whoever sees the code may ask with it,
        // which is why the request names who asks and waits for this side.
        let seen_by_all = match ctx.platform {
            Platform::Matrix => format!(
                "\nEveryone in this room sees this code: {}link list shows who asks with it, and only a room or server you accept joins.",
                ctx.prefix
            ),
            Platform::Discord | Platform::Console => String::new(),
        };
        Ok(Reply::text(format!(
            "Link code: {code}\nIt works once, for {} minutes. A moderator of the Matrix room or Discord server to bring in sends “link join {code}” there (!link join on Matrix, /link join on Discord); you then let it in here with {}link accept. From then on both read one shelf and one discussion per article, and each side's moderators can pin and export there; {}link remove undoes it from here, link leave from there.",
            CODE_VALID.num_minutes(),
            ctx.prefix,
            ctx.prefix
        ) + seen_by_all.as_str())
        .ephemeral())
    }
}

#[derive(Debug)]
struct Join {
    code: String,
}

fn parse_join(args: &mut Args<'_>) -> Result<Join, CommandError> {
    let typed = args.required_rest("code")?;
    match normalise(&typed) {
        Some(code) => Ok(Join { code }),
        None => Err(CommandError::Bad {
            command: args.spec(),
            arg: "code",
            value: typed,
            expected: "a link code such as ABCD-EFGH-JKMN-PQRS".to_owned(),
        }),
    }
}

#[async_trait::async_trait]
impl Run for Join {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let here = bot.community(ctx).await?;
        let outcome = bot
            .store()
            .join_by_code(&code_hash(&self.code), here.own_id(), bot.now())
            .await?;
        let kind = kind(ctx);
        let prefix = &ctx.prefix;
        match outcome {
            JoinOutcome::Asked(main) => {
                tracing::info!(target: "audit", asking = here.own_id(), into = main.id, by = %ctx.user.id, "asked to link");
                Ok(Reply::text(format!(
                    "This {kind} asks to read with {}. A moderator there lets it in with link accept within {} minutes; then both read one shelf, and one discussion per article across both.",
                    describe(&main),
                    REQUEST_WAITS.num_minutes()
                )))
            }
            JoinOutcome::Unknown => Err(user_error(
                "There is no such link code. Check it, or ask a moderator of the community to join for a new one (link code).",
            )),
            JoinOutcome::Used => Err(user_error(
                "That link code was used already; each works once. Ask for a new one.",
            )),
            JoinOutcome::Expired => Err(user_error(format!(
                "That link code has expired (codes last {} minutes). Ask for a new one.",
                CODE_VALID.num_minutes()
            ))),
            JoinOutcome::Same => Err(user_error(format!(
                "That code is this {kind}'s own: send link join with it in the room or server to bring in."
            ))),
            JoinOutcome::AlreadyJoined(main) => Err(user_error(format!(
                "This {kind} already reads with {}. Leave it first with {prefix}link leave.",
                describe(&main)
            ))),
            JoinOutcome::HasMembers(count) => Err(user_error(format!(
                "{count} other room{} or server{} read{} with this {kind}, and agreed to this one, not another. Take them out first ({prefix}link list, {prefix}link remove), or have the other side join this one with a code from here.",
                if count == 1 { "" } else { "s" },
                if count == 1 { "" } else { "s" },
                if count == 1 { "s" } else { "" },
            ))),
        }
    }
}

#[derive(Debug)]
struct List;

#[async_trait::async_trait]
impl Run for List {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let community = bot.community(ctx).await?;
        let members = bot.store().linked(community.id).await?;
        let asking = bot.store().link_requests(community.id, bot.now()).await?;
        let mut requests = String::new();
        if !asking.is_empty() {
            requests.push_str(&format!(
                "\nAsking to join (a moderator lets one in with {}link accept <number>):",
                ctx.prefix
            ));
            for (n, asks) in asking.iter().enumerate() {
                requests.push_str(&format!("\n{}. {}", n + 1, describe(asks)));
            }
        }
        if members.is_empty() {
            return Ok(Reply::text(format!(
                "This {} reads on its own. A moderator can bring in a Matrix room or another Discord server with {}link code.{requests}",
                kind(ctx),
                ctx.prefix
            )));
        }
        let here = |id: i64| if id == community.own_id() { " (here)" } else { "" };
        let mut text = format!(
            "Reading together: {}{}, and",
            describe(&community),
            here(community.id)
        );
        for (n, member) in members.iter().enumerate() {
            text.push_str(&format!("\n{}. {}{}", n + 1, describe(member), here(member.id)));
        }
        text.push_str(&requests);
        Ok(Reply::text(text))
    }
}

#[derive(Debug)]
struct Leave;

#[async_trait::async_trait]
impl Run for Leave {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let community = bot.community(ctx).await?;
        let kind = kind(ctx);
        if community.joined_from.is_none() {
            return Err(user_error(format!(
                "This {kind} has not joined another community. Others that joined this one are taken out with {}link remove.",
                ctx.prefix
            )));
        }
        match bot.store().unlink(community.own_id()).await? {
            Some(main) => {
                tracing::info!(target: "audit", left = community.own_id(), from = main.id, by = %ctx.user.id, "community unlinked");
                Ok(Reply::text(format!(
                    "This {kind} reads on its own again: its channels, discussions and shelf are its own, and nothing of {} shows here any more.",
                    describe(&main)
                )))
            }
            None => Err(user_error(format!(
                "This {kind} has not joined another community."
            ))),
        }
    }
}

#[derive(Debug)]
struct Remove {
    number: u32,
}

fn parse_remove(args: &mut Args<'_>) -> Result<Remove, CommandError> {
    match args.count("number")? {
        Some(number) => Ok(Remove { number }),
        None => Err(CommandError::Missing {
            command: args.spec(),
            arg: "number",
        }),
    }
}

#[async_trait::async_trait]
impl Run for Remove {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let community = bot.community(ctx).await?;
        main_decides(ctx, &community, "taking others out")?;
        let members = bot.store().linked(community.id).await?;
        let Some(member) = usize::try_from(self.number - 1)
            .ok()
            .and_then(|n| members.get(n))
        else {
            return Err(user_error(match members.len() {
                0 => "No room or server reads with this community.".to_owned(),
                count => format!(
                    "There is no number {} in {}link list (it has {count}).",
                    self.number, ctx.prefix
                ),
            }));
        };
        bot.store().unlink(member.id).await?;
        tracing::info!(target: "audit", removed = member.id, from = community.id, by = %ctx.user.id, "community unlinked");
        Ok(Reply::text(format!(
            "{} reads on its own again: its channels, discussions and shelf went back with it.",
            capitalise(&describe(member))
        )))
    }
}

#[derive(Debug)]
struct Accept {
    number: Option<u32>,
}

#[async_trait::async_trait]
impl Run for Accept {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let community = bot.community(ctx).await?;
        main_decides(ctx, &community, "letting others in")?;
        let asking = bot.store().link_requests(community.id, bot.now()).await?;
        let prefix = &ctx.prefix;
        let chosen = match (self.number, asking.len()) {
            (_, 0) => {
                return Err(user_error(format!(
                    "No room or server is asking to join this {} (requests wait {} minutes). Give a moderator there a code from {prefix}link code.",
                    kind(ctx),
                    REQUEST_WAITS.num_minutes()
                )));
            }
            (None, 1) => &asking[0],
            (None, count) => {
                return Err(user_error(format!(
                    "{count} rooms or servers are asking to join: say which with {prefix}link accept <number> ({prefix}link list numbers them)."
                )));
            }
            (Some(number), count) => usize::try_from(number - 1)
                .ok()
                .and_then(|n| asking.get(n))
                .ok_or_else(|| {
                    user_error(format!(
                        "There is no request number {number} in {prefix}link list (it has {count})."
                    ))
                })?,
        };
        match bot
            .store()
            .accept_link(community.id, chosen.id, bot.now())
            .await?
        {
            AcceptOutcome::Joined(joined) => {
                tracing::info!(target: "audit", joined = joined.id, into = community.id, by = %ctx.user.id, "community linked");
                Ok(Reply::text(format!(
                    "{} now reads with this {}: one shelf, and one discussion per article across both. {prefix}link remove {} takes it out again.",
                    capitalise(&describe(&joined)),
                    kind(ctx),
                    bot.store().linked(community.id).await?.len()
                )))
            }
            AcceptOutcome::NoRequest => Err(user_error(
                "That request has lapsed or was answered already; ask for a new one with a fresh code.",
            )),
            AcceptOutcome::Refused(JoinOutcome::AlreadyJoined(other)) => Err(user_error(format!(
                "{} has joined {} meanwhile; it must leave there first.",
                capitalise(&describe(chosen)),
                describe(&other)
            ))),
            AcceptOutcome::Refused(_) => Err(user_error(format!(
                "{} cannot join now: others read with it, and they agreed to it, not to this {}.",
                capitalise(&describe(chosen)),
                kind(ctx)
            ))),
        }
    }
}

/// The text with its first letter in upper case.
fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_80_random_bits_in_groups_of_four() {
        let a = new_code().unwrap();
        let b = new_code().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 19, "{a}");
        assert_eq!(a.split('-').count(), 4, "{a}");
        assert_eq!(normalise(&a).as_deref(), Some(a.replace('-', "").as_str()));
        assert_eq!(normalise(&a.to_lowercase().replace('-', " ")), normalise(&a));
        for bad in ["", "ABCD", "ABCD-EFGH-JKMN-PQR0", "ABCD-EFGH-JKMN-PQRSA", "ÄBCD-EFGH-JKMN-PQRS"] {
            assert_eq!(normalise(bad), None, "{bad}");
        }
        assert_ne!(code_hash(&a), code_hash(&b));
        assert_eq!(code_hash("X").len(), 64);
    }
}
