//! The store's behaviour, one set of tests run on both backends: a SQLite file, and a database
//! of its own in this binary's PostgreSQL cluster (`common::postgres`). Each `backends!` entry
//! is a module with a `sqlite` and a `postgres` test running the same scenario.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

mod common;

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use readingroom::store::{
    ArticleId, Backend, Ingested, NewMessage, PinOutcome, RunStatus, Scope, Store,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

/// A fresh store of `backend`, and what keeps it alive.
async fn open(backend: Backend) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let location = match backend {
        Backend::Sqlite => dir.path().join("rr.db").to_str().unwrap().to_owned(),
        Backend::Postgres => common::postgres::cluster().database().await,
    };
    let store = Store::open(&location).await.unwrap();
    assert_eq!(store.backend(), backend);
    (store, dir)
}

macro_rules! backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (store, _dir) = open(Backend::Sqlite).await;
                super::$name(store).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let (store, _dir) = open(Backend::Postgres).await;
                super::$name(store).await;
            }
        }
    )*};
}

backends!(
    articles_are_stored_once_and_read_in_scope,
    search_ranks_titles_first_and_treats_syntax_as_words,
    messages_are_recorded_once_with_changes_that_overtook_them,
    pins_follow_their_messages,
    digest_runs_and_what_a_digest_is_made_of,
    feeds_entries_and_deliveries,
    communities_leave_come_back_and_purge,
    linked_communities_join_resolve_and_leave,
    platform_bookkeeping,
    failures_waiting_events_catch_ups_and_publications,
    claims_go_to_one_holder_until_they_expire,
);

fn article(title: &str, body: &str) -> readingroom::article::Article {
    readingroom::article::parse(&format!("{title}\n\n{body}")).unwrap()
}

async fn articles_are_stored_once_and_read_in_scope(store: Store) {
    let now = t0();
    let a = article(
        "Quiet rooms",
        "Readers return to the quiet reading room. \"We missed it,\" said Ada Brink, a librarian.",
    );
    let first = store
        .insert_article(
            &a,
            Some("https://a.example/x"),
            Some("https://a.example/x"),
            now,
        )
        .await
        .unwrap();
    let Ingested::New(id) = first else {
        panic!("{first:?}")
    };
    // The same canonical address, then the same content under another address.
    assert_eq!(
        store
            .insert_article(&a, None, Some("https://a.example/x"), now)
            .await
            .unwrap(),
        Ingested::Existing(id)
    );
    assert_eq!(
        store
            .insert_article(&a, None, Some("https://b.example/y"), now)
            .await
            .unwrap(),
        Ingested::Existing(id)
    );
    assert_eq!(store.article_count().await.unwrap(), 1);
    let stored = store.article(id).await.unwrap().unwrap();
    assert_eq!(stored.article.title, "Quiet rooms");
    assert_eq!(stored.created_at, now);
    assert_eq!(stored.origin.as_deref(), Some("https://a.example/x"));

    let one = store
        .community("discord", "g1", Some("one"), now)
        .await
        .unwrap();
    let two = store.community("discord", "g2", None, now).await.unwrap();
    assert_ne!(one.id, two.id);
    assert_eq!(
        store.community("discord", "g1", None, now).await.unwrap(),
        one
    );
    // Nobody's shelf yet and not in the library: only the operator sees it.
    assert!(
        store
            .article_in(Scope::Community(one.id), id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .article_in(Scope::Operator, id)
            .await
            .unwrap()
            .is_some()
    );
    store.shelve(one.id, id, Some("ana"), now).await.unwrap();
    assert!(
        store
            .is_visible(Scope::Community(one.id), id)
            .await
            .unwrap()
    );
    assert!(
        !store
            .is_visible(Scope::Community(two.id), id)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .latest_article(Scope::Community(one.id))
            .await
            .unwrap()
            .unwrap()
            .id,
        id
    );
    assert!(
        store
            .latest_article(Scope::Community(two.id))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .latest_article(Scope::Operator)
            .await
            .unwrap()
            .map(|a| a.id),
        Some(id),
        "the operator's newest is the newest of all, in no library"
    );
    store.add_to_library(id).await.unwrap();
    assert!(
        store
            .is_visible(Scope::Community(two.id), id)
            .await
            .unwrap()
    );

    let quote = store
        .pick_quote(Scope::Community(two.id), None, 7)
        .await
        .unwrap()
        .expect("a quotation");
    assert_eq!(quote.article_id, id);
    assert!(quote.text.contains("We missed it"), "{quote:?}");
    assert_eq!(
        store
            .pick_quote(Scope::Community(two.id), Some(id), 3)
            .await
            .unwrap(),
        Some(quote)
    );
    // Picks reach every quotation `two` may read and no other, from one article or all.
    let three = store
        .insert_article(
            &article(
                "Three voices",
                "\"The lamps stay on,\" said Bo Lind. \"Nobody asked us,\" said Cy Moor. \"We will come back,\" said Di Park.",
            ),
            None,
            None,
            now,
        )
        .await
        .unwrap()
        .id();
    store.shelve(two.id, three, None, now).await.unwrap();
    let hidden = store
        .insert_article(
            &article("Hidden", "\"Not for you,\" said Ed Hale."),
            None,
            None,
            now,
        )
        .await
        .unwrap()
        .id();
    let mut seen = std::collections::BTreeSet::new();
    for pick in 0..64 {
        let quote = store
            .pick_quote(Scope::Community(two.id), None, pick)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(quote.article_id, hidden, "{quote:?}");
        seen.insert(quote.text);
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    let mut of_three = Vec::new();
    for pick in 0..6 {
        let quote = store
            .pick_quote(Scope::Community(two.id), Some(three), pick)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(quote.article_id, three);
        of_three.push(quote.text);
    }
    of_three.dedup();
    assert_eq!(of_three.len(), 3, "{of_three:?}");
    assert!(
        store
            .pick_quote(Scope::Community(two.id), Some(hidden), 1)
            .await
            .unwrap()
            .is_none()
    );
}

async fn search_ranks_titles_first_and_treats_syntax_as_words(store: Store) {
    let now = t0();
    let body_only = store
        .insert_article(
            &article(
                "A walk",
                "The gardens of the city were quiet. Nobody spoke of bridges.",
            ),
            None,
            None,
            now,
        )
        .await
        .unwrap()
        .id();
    let in_title = store
        .insert_article(
            &article(
                "Gardens at dusk",
                "An evening among the flowers, and the long shadows.",
            ),
            None,
            None,
            now + Duration::seconds(1),
        )
        .await
        .unwrap()
        .id();
    let other = store
        .insert_article(
            &article(
                "Bridges",
                "Steel and stone across the river, built to last.",
            ),
            None,
            None,
            now + Duration::seconds(2),
        )
        .await
        .unwrap()
        .id();
    for id in [body_only, in_title, other] {
        store.add_to_library(id).await.unwrap();
    }
    let scope = Scope::Operator;
    let hits = store.search(scope, "gardens", 10).await.unwrap();
    let ids: Vec<ArticleId> = hits.iter().map(|h| h.id).collect();
    assert_eq!(ids, vec![in_title, body_only], "title first: {hits:?}");
    // A body shorter than a snippet is the snippet, whole.
    assert_eq!(
        hits[1].snippet, "The gardens of the city were quiet. Nobody spoke of bridges.",
        "{hits:?}"
    );
    // What `/article <words>` opens: the first hit, or with no article holding every word,
    // the best holding any; nothing when no article holds any.
    assert_eq!(
        store.best_match(scope, "gardens").await.unwrap(),
        Some(in_title)
    );
    assert_eq!(
        store.best_match(scope, "bridges steel").await.unwrap(),
        Some(other)
    );
    let any = store.best_match(scope, "flowers steel").await.unwrap();
    assert!(any == Some(in_title) || any == Some(other), "{any:?}");
    assert_eq!(store.best_match(scope, "zeppelin").await.unwrap(), None);
    // Stemming: the singular finds the plural.
    assert_eq!(store.search(scope, "garden", 10).await.unwrap().len(), 2);
    // Every word must match; with no article holding them all, any word will do.
    let both = store.search(scope, "gardens bridges", 10).await.unwrap();
    assert_eq!(
        both.iter().map(|h| h.id).collect::<Vec<_>>(),
        vec![body_only]
    );
    let either = store.search(scope, "flowers steel", 10).await.unwrap();
    let found: HashSet<ArticleId> = either.iter().map(|h| h.id).collect();
    assert_eq!(found, HashSet::from([in_title, other]));
    // Query syntax of either backend is only words.
    for hostile in [
        "\"gardens",
        "gardens*",
        "NEAR(gardens bridges)",
        "gardens OR -bridges",
        "gardens & !bridges | 'x':*",
        "title:gardens",
        "gardens) OR (1=1",
    ] {
        let hits = store.search(scope, hostile, 10).await.unwrap();
        assert!(
            hits.iter().any(|h| h.id == in_title || h.id == body_only),
            "{hostile}: {hits:?}"
        );
    }
    assert!(store.search(scope, "!!! ***", 10).await.unwrap().is_empty());
    assert!(
        store
            .search(scope, "zeppelin", 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Autocomplete: the last word is a prefix; nothing typed lists the newest.
    let typed = store.complete_titles(scope, "brid", 10).await.unwrap();
    assert_eq!(typed.first().map(|h| h.id), Some(other), "{typed:?}");
    assert!(typed.iter().all(|h| h.snippet.is_empty()), "{typed:?}");
    let latest = store.complete_titles(scope, "", 2).await.unwrap();
    assert_eq!(
        latest.iter().map(|h| h.id).collect::<Vec<_>>(),
        vec![other, in_title]
    );
    // A community sees only its shelf and the library.
    let community = store.community("matrix", "!r:x", None, now).await.unwrap();
    let private = store
        .insert_article(
            &article("Private gardens", "Walled gardens of one house."),
            None,
            None,
            now,
        )
        .await
        .unwrap()
        .id();
    let seen = store
        .search(Scope::Community(community.id), "walled", 10)
        .await
        .unwrap();
    assert!(seen.is_empty(), "{seen:?}");
    store
        .shelve(community.id, private, None, now)
        .await
        .unwrap();
    let seen = store
        .search(Scope::Community(community.id), "walled", 10)
        .await
        .unwrap();
    assert_eq!(seen.iter().map(|h| h.id).collect::<Vec<_>>(), vec![private]);
    // Another community finds it once the operator puts it in the library, and not before.
    let stranger = store.community("matrix", "!s:x", None, now).await.unwrap();
    let walled = async |store: &Store| -> Vec<ArticleId> {
        let hits = store
            .search(Scope::Community(stranger.id), "walled", 10)
            .await
            .unwrap();
        hits.iter().map(|h| h.id).collect()
    };
    assert_eq!(walled(&store).await, vec![]);
    store.add_to_library(private).await.unwrap();
    assert_eq!(walled(&store).await, vec![private]);
    // A long body is cut around the match, every word of the snippet as the body has it.
    let filler = |n: usize| vec!["Waves came and went."; n].join(" ");
    let body = format!(
        "{} Past the harbour the old lighthouses stood dark all winter. {}",
        filler(12),
        filler(12)
    );
    let long = store
        .insert_article(&article("Coast", &body), None, None, now)
        .await
        .unwrap()
        .id();
    store.add_to_library(long).await.unwrap();
    let hits = store.search(scope, "lighthouse", 10).await.unwrap();
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![long]);
    let snippet = &hits[0].snippet;
    assert!(
        snippet.starts_with('…') && snippet.ends_with('…') && snippet.contains("lighthouses"),
        "{snippet}"
    );
    assert!(body.contains(snippet.trim_matches('…')), "{snippet}");
    assert!(snippet.split_whitespace().count() <= 16, "{snippet}");
}

fn message(id: &str, author: &str, body: &str, at: DateTime<Utc>) -> NewMessage {
    NewMessage {
        platform: "discord".into(),
        platform_id: id.into(),
        author_id: format!("id-{author}"),
        author_name: author.into(),
        body: body.into(),
        reply_to: None,
        created_at: at,
    }
}

async fn messages_are_recorded_once_with_changes_that_overtook_them(store: Store) {
    let now = t0();
    let id = store
        .insert_article(
            &article("Talk", "Something to talk about, at length."),
            None,
            None,
            now,
        )
        .await
        .unwrap()
        .id();
    let channel = common::channel(&store, "discord", "c1", Some("books"), now).await;
    let scope = Scope::Community(channel.community_id.unwrap());
    let (discussion, opened) = store.open_discussion(id, channel.id, now).await.unwrap();
    assert!(opened);
    assert!(!store.open_discussion(id, channel.id, now).await.unwrap().1);
    store.set_thread(discussion.id, Some("t1")).await.unwrap();
    assert_eq!(
        store
            .discussion_by_thread("discord", "t1", Some("c1"))
            .await
            .unwrap()
            .map(|d| d.id),
        Some(discussion.id)
    );
    assert!(
        store
            .discussion_by_thread("discord", "t1", Some("elsewhere"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .discussion_in(id, channel.id)
            .await
            .unwrap()
            .unwrap()
            .thread_ref
            .as_deref(),
        Some("t1")
    );

    // Many at once (one group commit), each redelivered: stored once, same id back.
    let mut tasks = Vec::new();
    for n in 0..200 {
        for _ in 0..2 {
            let store = store.clone();
            let m = message(
                &format!("m{n}"),
                &format!("u{}", n % 7),
                &format!("text {n}"),
                now + Duration::seconds(n),
            );
            tasks.push(tokio::spawn(async move {
                (n, store.record_message(discussion.id, &m).await.unwrap())
            }));
        }
    }
    let mut ids = std::collections::HashMap::new();
    for task in tasks {
        let (n, row) = task.await.unwrap();
        assert_eq!(*ids.entry(n).or_insert(row), row, "message {n} got two ids");
    }
    assert_eq!(
        store
            .discussion_messages(discussion.id)
            .await
            .unwrap()
            .len(),
        200
    );
    let stats = store.discussion_stats(scope, id).await.unwrap();
    assert_eq!((stats.messages, stats.participants), (200, 7));
    // Where the discussion stands moves with every new message and every change to one, and
    // only then (the web reader keeps built trees while it stays).
    let marks = store.discussion_marks(scope, id).await.unwrap();
    assert_eq!(marks.len(), 1);
    assert_eq!(
        (
            marks[0].discussion,
            marks[0].messages,
            marks[0].channel.as_str()
        ),
        (discussion.id, 200, "discord:books")
    );
    assert_eq!(
        store
            .discussion_marks(Scope::Community(-1), id)
            .await
            .unwrap(),
        []
    );
    let mut last_marks = marks;
    let mut moved = async |why: &str, expected: bool| {
        let now = store.discussion_marks(scope, id).await.unwrap();
        assert_eq!(
            now != last_marks,
            expected,
            "{why}: {last_marks:?} then {now:?}"
        );
        last_marks = now;
    };

    // An edit and a delete that arrive before their messages wait, then apply; a delete wins.
    assert!(
        !store
            .defer_change("discord", "late", Some("edited"), now)
            .await
            .unwrap()
    );
    let late = store
        .record_message(discussion.id, &message("late", "ana", "first", now))
        .await
        .unwrap();
    assert_eq!(
        store
            .message(scope, late)
            .await
            .unwrap()
            .unwrap()
            .body
            .as_deref(),
        Some("edited")
    );
    moved("a message with its waiting edit", true).await;
    assert!(
        !store
            .defer_change("discord", "gone", None, now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .defer_change("discord", "gone", Some("too late"), now)
            .await
            .unwrap()
    );
    let gone = store
        .record_message(discussion.id, &message("gone", "ana", "x", now))
        .await
        .unwrap();
    let gone = store.message(scope, gone).await.unwrap().unwrap();
    assert_eq!((gone.body, gone.deleted_at.is_some()), (None, true));

    // Edits and deletes of recorded messages.
    moved("a message that was deleted before it came", true).await;
    let version = store.discussion_marks(scope, id).await.unwrap()[0].version;
    assert!(
        store
            .edit_message("discord", "m1", "changed", now)
            .await
            .unwrap()
    );
    moved("an edit", true).await;
    // Read since that version: just the edited message, as it now stands.
    let since = store
        .article_messages_since(scope, id, i64::MAX, version)
        .await
        .unwrap();
    assert_eq!(
        since
            .iter()
            .map(|(m, _)| (m.platform_id.as_str(), m.body.as_deref()))
            .collect::<Vec<_>>(),
        [("m1", Some("changed"))]
    );
    assert!(
        store
            .defer_change("discord", "m2", Some("changed too"), now)
            .await
            .unwrap()
    );
    let m2 = store
        .message_by_platform_id(scope, "discord", "m2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m2.body.as_deref(), Some("changed too"));
    moved("an edit through the deferred path", true).await;
    store.record_edit("discord", "edit-1", m2.id).await.unwrap();
    assert_eq!(
        store
            .message_by_edit(scope, "discord", "edit-1")
            .await
            .unwrap()
            .map(|m| m.id),
        Some(m2.id)
    );
    moved("recording who edited", false).await;
    assert!(store.delete_message("discord", "m1", now).await.unwrap());
    moved("a deletion", true).await;
    assert!(!store.delete_message("discord", "m1", now).await.unwrap());
    assert!(
        !store
            .edit_message("discord", "m1", "back", now)
            .await
            .unwrap()
    );
    store
        .record_message(discussion.id, &message("m5", "u5", "text 5", now))
        .await
        .unwrap();
    moved(
        "a deletion again, an edit of a deleted message, a redelivery",
        false,
    )
    .await;
    // Another community sees none of it.
    let other = store.community("discord", "g9", None, now).await.unwrap();
    assert!(
        store
            .message(Scope::Community(other.id), m2.id)
            .await
            .unwrap()
            .is_none()
    );

    let labelled = store.article_messages(scope, id).await.unwrap();
    assert_eq!(labelled.len(), 202);
    assert!(labelled.iter().all(|(_, label)| label == "discord:books"));
    let version = store.discussion_marks(scope, id).await.unwrap()[0].version;
    let forgotten = store
        .forget_author(scope, "discord", "id-u3", now)
        .await
        .unwrap();
    assert!(forgotten > 0);
    moved("a reader forgotten", true).await;
    let since = store
        .article_messages_since(scope, id, i64::MAX, version)
        .await
        .unwrap();
    assert_eq!(
        since.len() as u64,
        forgotten,
        "every forgotten message, once"
    );
    assert!(since.iter().all(|(m, _)| m.body.is_none()));
    common::channel(&store, "discord", "c1", Some("novels"), now).await;
    moved("a renamed channel", true).await;
    assert_eq!(
        store
            .discussion_stats(scope, id)
            .await
            .unwrap()
            .participants,
        7
    );
    assert_eq!(
        store
            .find_channel("discord:c1")
            .await
            .unwrap()
            .map(|c| c.id),
        Some(channel.id)
    );
    assert_eq!(
        store.find_channel("c1").await.unwrap().map(|c| c.id),
        Some(channel.id)
    );
    assert!(store.find_channel("matrix:c1").await.unwrap().is_none());
    assert!(store.integrity_check().await.unwrap());
}

async fn pins_follow_their_messages(store: Store) {
    let now = t0();
    let id = store
        .insert_article(
            &article("Pinned", "Worth pinning, this one is."),
            None,
            None,
            now,
        )
        .await
        .unwrap()
        .id();
    let channel = common::channel(&store, "matrix", "!p:x", None, now).await;
    let scope = Scope::Community(channel.community_id.unwrap());
    let (discussion, _) = store.open_discussion(id, channel.id, now).await.unwrap();
    let m = store
        .record_message(discussion.id, &message("p1", "ana", "a fine take", now))
        .await
        .unwrap();
    assert_eq!(
        store.pin(m, "mod", Some("best"), now).await.unwrap(),
        PinOutcome::Pinned
    );
    assert_eq!(
        store
            .pin(m, "mod", Some("better"), now + Duration::minutes(1))
            .await
            .unwrap(),
        PinOutcome::Updated
    );
    // An article's pins are listed only to a community that may read the article (here,
    // once it is on its shelf); the community's own listing has them either way.
    assert!(store.pins(scope, Some(id), 10).await.unwrap().is_empty());
    assert_eq!(store.pins(scope, None, 10).await.unwrap().len(), 1);
    let home = channel.community_id.unwrap();
    store.shelve(home, id, None, now).await.unwrap();
    let pins = store.pins(scope, Some(id), 10).await.unwrap();
    assert_eq!(pins.len(), 1);
    assert_eq!(pins[0].note.as_deref(), Some("better"));
    assert_eq!(
        store
            .pins_between(scope, now, now + Duration::minutes(2), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .pins_between(
                scope,
                now + Duration::minutes(1),
                now + Duration::minutes(2),
                10
            )
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.unpin(m).await.unwrap());
    assert!(!store.unpin(m).await.unwrap());
    store.pin(m, "mod", None, now).await.unwrap();
    assert_eq!(store.pins(scope, None, 10).await.unwrap().len(), 1);
    // Deleting the message drops its pin, and a deleted message cannot be pinned.
    assert!(store.delete_message("discord", "p1", now).await.unwrap());
    assert!(store.pins(scope, None, 10).await.unwrap().is_empty());
    assert_eq!(
        store.pin(m, "mod", None, now).await.unwrap(),
        PinOutcome::Deleted
    );

    // Pins in two channels of one community, and in another community on the same article:
    // a listing takes the newest of the community's channels together, in time order, and
    // nothing of the other community, however few it asks for.
    let second = store
        .channel("matrix", "!p2:x", None, home, now)
        .await
        .unwrap();
    let elsewhere = common::channel(&store, "matrix", "!q:x", None, now).await;
    let at = |minute: i64| now + Duration::minutes(minute);
    for (n, place) in [
        &channel, &second, &channel, &second, &channel, &second, &elsewhere,
    ]
    .into_iter()
    .enumerate()
    {
        let (discussion, _) = store.open_discussion(id, place.id, now).await.unwrap();
        let minute = n as i64 + 10;
        let m = store
            .record_message(
                discussion.id,
                &message(&format!("q{n}"), "ana", &format!("take {n}"), at(minute)),
            )
            .await
            .unwrap();
        store.pin(m, "mod", None, at(minute)).await.unwrap();
    }
    let bodies = |pins: Vec<readingroom::store::Pin>| -> Vec<String> {
        pins.into_iter().map(|p| p.body).collect()
    };
    assert_eq!(
        bodies(store.pins(scope, None, 4).await.unwrap()),
        ["take 5", "take 4", "take 3", "take 2"]
    );
    assert_eq!(
        bodies(store.pins(scope, Some(id), 10).await.unwrap()),
        ["take 5", "take 4", "take 3", "take 2", "take 1", "take 0"]
    );
    assert_eq!(
        bodies(store.pins(scope, Some(id), 1).await.unwrap()),
        ["take 5"]
    );
    assert_eq!(
        bodies(store.pins_between(scope, at(10), at(14), 3).await.unwrap()),
        ["take 1", "take 2", "take 3"]
    );
    let other = Scope::Community(elsewhere.community_id.unwrap());
    assert_eq!(
        bodies(store.pins(other, None, 10).await.unwrap()),
        ["take 6"]
    );
    assert!(store.pins(other, Some(id), 10).await.unwrap().is_empty());
    store
        .shelve(elsewhere.community_id.unwrap(), id, None, now)
        .await
        .unwrap();
    assert_eq!(
        bodies(store.pins(other, Some(id), 10).await.unwrap()),
        ["take 6"]
    );
}

async fn digest_runs_and_what_a_digest_is_made_of(store: Store) {
    let now = t0();
    let channel = common::channel(&store, "discord", "d1", None, now).await;
    let scope = Scope::Community(channel.community_id.unwrap());
    store
        .set_digest(channel.id, Some(("09:00", "Europe/Paris")), now)
        .await
        .unwrap();
    let schedule = store.digest_schedule(channel.id).await.unwrap().unwrap();
    assert_eq!(
        (schedule.digest_at.as_str(), schedule.timezone.as_str()),
        ("09:00", "Europe/Paris")
    );
    assert_eq!(schedule.digest_set_at, now);
    assert_eq!(store.digest_schedules().await.unwrap(), vec![schedule]);
    assert_eq!(
        store.channel_timezone(channel.id).await.unwrap().as_deref(),
        Some("Europe/Paris")
    );
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    assert_eq!(store.digest_run(channel.id, day).await.unwrap(), None);
    store
        .record_digest_run(channel.id, day, RunStatus::Failed, now)
        .await
        .unwrap();
    assert_eq!(
        store.digest_run(channel.id, day).await.unwrap(),
        Some(RunStatus::Failed)
    );
    store
        .record_digest_run(
            channel.id,
            day,
            RunStatus::Posted,
            now + Duration::minutes(5),
        )
        .await
        .unwrap();
    assert_eq!(
        store.digest_run(channel.id, day).await.unwrap(),
        Some(RunStatus::Posted)
    );
    assert_eq!(
        store.last_digest(channel.id).await.unwrap(),
        Some(now + Duration::minutes(5))
    );
    assert_eq!(store.digests_posted().await.unwrap(), 1);

    let id = store
        .insert_article(
            &article(
                "Digest me",
                "A thing happened. \"It did,\" said Bo Li, a witness.",
            ),
            None,
            None,
            now + Duration::hours(1),
        )
        .await
        .unwrap()
        .id();
    store
        .shelve(
            channel.community_id.unwrap(),
            id,
            None,
            now + Duration::hours(1),
        )
        .await
        .unwrap();
    let (discussion, _) = store.open_discussion(id, channel.id, now).await.unwrap();
    for n in 0..3 {
        store
            .record_message(
                discussion.id,
                &message(
                    &format!("dm{n}"),
                    &format!("u{n}"),
                    "hm",
                    now + Duration::hours(2),
                ),
            )
            .await
            .unwrap();
    }
    let (since, until) = (now, now + Duration::days(1));
    let new = store
        .articles_between(scope, since, until, 10)
        .await
        .unwrap();
    assert_eq!(new.iter().map(|a| a.id).collect::<Vec<_>>(), vec![id]);
    assert!(
        store
            .articles_between(scope, until, until + Duration::days(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let lively = store.liveliest(scope, since, until, 5).await.unwrap();
    assert_eq!(lively.len(), 1);
    assert_eq!(
        (
            lively[0].article_id,
            lively[0].messages,
            lively[0].participants
        ),
        (id, 3, 3)
    );
    let quote = store
        .quote_between(scope, since, until, 11)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(quote.speaker.as_deref(), Some("Bo Li"));
    store.set_digest(channel.id, None, now).await.unwrap();
    assert!(store.digest_schedules().await.unwrap().is_empty());
    let totals = store.totals(scope).await.unwrap();
    assert_eq!(
        (totals.articles, totals.messages, totals.digests_posted),
        (1, 3, 1)
    );
}

async fn feeds_entries_and_deliveries(store: Store) {
    let now = t0();
    let channel = common::channel(&store, "discord", "f1", None, now).await;
    let community = channel.community_id.unwrap();
    let feed = store
        .add_feed("https://f.example/rss", None, now, now)
        .await
        .unwrap();
    assert_eq!(
        store
            .add_feed("https://f.example/rss", Some("F"), now, now)
            .await
            .unwrap()
            .id,
        feed.id
    );
    assert!(
        store
            .subscribe(feed.id, channel.id, true, now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .subscribe(feed.id, channel.id, true, now)
            .await
            .unwrap()
    );
    assert_eq!(store.feeds_followed(community).await.unwrap(), 1);
    store.set_feed_interval(feed.id, 600).await.unwrap();
    let due = store.due_feeds(now).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].interval_secs, due[0].title.as_deref()),
        (600, Some("F"))
    );
    store
        .feed_failed(feed.id, "timed out", now + Duration::minutes(1))
        .await
        .unwrap();
    assert!(store.due_feeds(now).await.unwrap().is_empty());
    assert_eq!(
        store
            .feed_by_url("https://f.example/rss")
            .await
            .unwrap()
            .unwrap()
            .failures,
        1
    );
    store
        .feed_polled(
            feed.id,
            None,
            Some("etag-1"),
            None,
            now + Duration::minutes(10),
            now,
        )
        .await
        .unwrap();
    let polled = store.channel_feeds(channel.id).await.unwrap();
    assert_eq!(
        (
            polled[0].failures,
            polled[0].etag.as_deref(),
            polled[0].last_ok_at
        ),
        (0, Some("etag-1"), Some(now))
    );

    let a = store
        .insert_article(
            &article("Entry one", "From the feed, with love."),
            None,
            None,
            now,
        )
        .await
        .unwrap()
        .id();
    assert_eq!(
        store
            .find_entry(feed.id, Some("g1"), None, "h1")
            .await
            .unwrap(),
        None
    );
    let entry = store
        .add_entry(
            feed.id,
            Some("g1"),
            Some("https://f.example/1"),
            "h1",
            Some(a),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .find_entry(feed.id, Some("g1"), None, "h1")
            .await
            .unwrap(),
        Some(entry)
    );
    let owed = store.pending_deliveries(now, 10).await.unwrap();
    assert_eq!(owed.len(), 1);
    assert!(owed[0].open_thread);
    assert_eq!((owed[0].entry_id, owed[0].article_id), (entry, a));
    store
        .delivery_failed(
            entry,
            channel.id,
            "503",
            now,
            Some(now + Duration::minutes(5)),
        )
        .await
        .unwrap();
    assert!(store.pending_deliveries(now, 10).await.unwrap().is_empty());
    assert_eq!(
        store
            .pending_deliveries(now + Duration::minutes(5), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    store.delivered(entry, channel.id, now).await.unwrap();
    assert_eq!(store.delivery_attempts(entry, channel.id).await.unwrap(), 2);
    assert!(
        store
            .pending_deliveries(now + Duration::hours(1), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let b = store
        .insert_article(
            &article("Entry two", "More from the feed, again."),
            None,
            None,
            now,
        )
        .await
        .unwrap()
        .id();
    let second = store
        .add_entry(feed.id, Some("g2"), None, "h2", Some(b), now)
        .await
        .unwrap();
    store
        .delivery_failed(second, channel.id, "no", now, None)
        .await
        .unwrap();
    assert_eq!(store.failed_posts(feed.id, channel.id).await.unwrap(), 1);
    store
        .feed_refused(second, channel.id, "gone", now)
        .await
        .unwrap();
    assert_eq!(
        store.take_notices(channel.id).await.unwrap(),
        vec!["gone".to_owned()]
    );
    assert!(store.take_notices(channel.id).await.unwrap().is_empty());
    assert!(store.channel_feeds(channel.id).await.unwrap().is_empty());
    assert!(
        store
            .subscribe(feed.id, channel.id, false, now)
            .await
            .unwrap()
    );
    assert!(
        store
            .unsubscribe("https://f.example/rss", channel.id)
            .await
            .unwrap()
    );
    assert!(
        store
            .feed_by_url("https://f.example/rss")
            .await
            .unwrap()
            .is_none()
    );
}

async fn communities_leave_come_back_and_purge(store: Store) {
    let now = t0();
    let channel = common::channel(&store, "discord", "x1", None, now).await;
    let id = store
        .insert_article(
            &article("Kept", "Articles stay when a community goes."),
            None,
            None,
            now,
        )
        .await
        .unwrap()
        .id();
    let (discussion, _) = store.open_discussion(id, channel.id, now).await.unwrap();
    store
        .record_message(discussion.id, &message("x", "ana", "hi", now))
        .await
        .unwrap();
    assert_eq!(
        store
            .discussions_open(channel.community_id.unwrap())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .find_community("discord:x1")
            .await
            .unwrap()
            .map(|c| c.id),
        channel.community_id
    );
    assert!(store.community_left("discord", "x1", now).await.unwrap());
    assert!(!store.community_left("discord", "x1", now).await.unwrap());
    assert_eq!(
        store.community_left_at("discord", "x1").await.unwrap(),
        Some(now)
    );
    store.community_back("discord", "x1").await.unwrap();
    assert_eq!(
        store.community_left_at("discord", "x1").await.unwrap(),
        None
    );
    store.community_left("discord", "x1", now).await.unwrap();
    assert_eq!(
        store.purge_left(now - Duration::seconds(1)).await.unwrap(),
        0
    );
    assert_eq!(store.purge_left(now).await.unwrap(), 1);
    assert!(store.find_channel("discord:x1").await.unwrap().is_none());
    assert!(store.article(id).await.unwrap().is_some());
    assert_eq!(store.totals(Scope::Operator).await.unwrap().messages, 0);
    // A channel under a stand-in community moves to its guild, shelf and all.
    let stand_in = store
        .community("discord", "channel:y1", None, now)
        .await
        .unwrap();
    let old = store
        .channel("discord", "y1", None, stand_in.id, now)
        .await
        .unwrap();
    store.shelve(stand_in.id, id, None, now).await.unwrap();
    assert!(store.is_stand_in("discord", "y1").await.unwrap());
    let guild = store
        .community("discord", "guild", None, now)
        .await
        .unwrap();
    let moved = store
        .channel("discord", "y1", Some("general"), guild.id, now)
        .await
        .unwrap();
    assert_eq!((moved.id, moved.community_id), (old.id, Some(guild.id)));
    assert!(!store.is_stand_in("discord", "y1").await.unwrap());
    assert!(
        store
            .is_visible(Scope::Community(guild.id), id)
            .await
            .unwrap()
    );
}

/// The articles `community` may read (its shelf; the library is empty here), by id.
async fn shelf_of(store: &Store, community: i64) -> Vec<ArticleId> {
    let mut ids: Vec<ArticleId> = store
        .shelf_page(Scope::Community(community), 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    ids.sort_by_key(|id| id.0);
    ids
}

async fn linked_communities_join_resolve_and_leave(store: Store) {
    use readingroom::store::{AcceptOutcome, JoinOutcome};
    let now = t0();
    let guild = store
        .community("discord", "guild", Some("Guild"), now)
        .await
        .unwrap();
    let room = store
        .community("matrix", "!room:hs", Some("Room"), now)
        .await
        .unwrap();
    let other = store
        .community("discord", "other", Some("Other"), now)
        .await
        .unwrap();
    assert_eq!((guild.joined_from, guild.own_id()), (None, guild.id));
    let general = store
        .channel("discord", "general", None, guild.id, now)
        .await
        .unwrap();
    let in_room = store
        .channel("matrix", "!room:hs", None, room.id, now)
        .await
        .unwrap();
    let elsewhere = store
        .channel("discord", "elsewhere", None, other.id, now)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 1..=5 {
        let text = format!("number {n} on the links between rooms and servers.");
        let id = store
            .insert_article(&article(&format!("Linked {n}"), &text), None, None, now)
            .await
            .unwrap()
            .id();
        ids.push(id);
    }
    let [a1, a2, a3, a4, a5] = ids[..] else {
        unreachable!()
    };
    store.shelve(guild.id, a1, None, now).await.unwrap();
    store.shelve(room.id, a2, None, now).await.unwrap();
    store.shelve(guild.id, a3, None, now).await.unwrap();
    store.shelve(room.id, a3, None, now).await.unwrap();
    store.shelve(other.id, a4, None, now).await.unwrap();
    let (on_guild, _) = store.open_discussion(a3, general.id, now).await.unwrap();
    let (on_room, _) = store.open_discussion(a3, in_room.id, now).await.unwrap();
    store.set_thread(on_room.id, Some("$root")).await.unwrap();
    let g1 = store
        .record_message(on_guild.id, &message("g1", "gia", "From the guild.", now))
        .await
        .unwrap();
    let from_room = |id: &str, body: &str| NewMessage {
        platform: "matrix".into(),
        ..message(id, "rob", body, now)
    };
    let r1 = store
        .record_message(on_room.id, &from_room("$r1", "From the room."))
        .await
        .unwrap();
    let r2 = store
        .record_message(on_room.id, &from_room("$r2", "Again from the room."))
        .await
        .unwrap();
    store
        .publish(
            room.id,
            "0123456789abcdef0123456789abcdef",
            "matrix:@mod",
            now,
        )
        .await
        .unwrap();

    // Codes: unknown, expired, used by the community that issued it.
    let soon = now + Duration::minutes(15);
    store
        .issue_link_code(guild.id, "h1", "discord:mona", now, soon)
        .await
        .unwrap();
    store
        .issue_link_code(
            guild.id,
            "h-old",
            "discord:mona",
            now - Duration::hours(1),
            now - Duration::minutes(1),
        )
        .await
        .unwrap();
    assert_eq!(
        store.join_by_code("nope", room.id, now).await.unwrap(),
        JoinOutcome::Unknown
    );
    assert_eq!(
        store.join_by_code("h-old", room.id, now).await.unwrap(),
        JoinOutcome::Expired
    );
    assert_eq!(
        store.join_by_code("h1", room.id, soon).await.unwrap(),
        JoinOutcome::Expired
    );
    // A refused try with a good code uses it up too (a code shown or typed in a room must
    // not stay open to the room's other members).
    store
        .issue_link_code(guild.id, "h-own", "discord:mona", now, soon)
        .await
        .unwrap();
    assert_eq!(
        store.join_by_code("h-own", guild.id, now).await.unwrap(),
        JoinOutcome::Same
    );
    assert_eq!(
        store.join_by_code("h-own", room.id, now).await.unwrap(),
        JoinOutcome::Used
    );
    let JoinOutcome::Asked(main) = store.join_by_code("h1", room.id, now).await.unwrap() else {
        panic!("the room asks")
    };
    assert_eq!(main.id, guild.id);
    // Asking changes nothing until the guild accepts, and only what asked can be accepted.
    let asked = store
        .community("matrix", "!room:hs", None, now)
        .await
        .unwrap();
    assert_eq!(asked.id, room.id, "not joined yet");
    let requests = store.link_requests(guild.id, now).await.unwrap();
    assert_eq!(
        requests.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![room.id]
    );
    assert_eq!(
        store.accept_link(guild.id, other.id, now).await.unwrap(),
        AcceptOutcome::NoRequest
    );
    assert_eq!(
        store
            .link_requests(guild.id, now + chrono::Duration::minutes(16))
            .await
            .unwrap(),
        vec![],
        "a request lapses"
    );
    let AcceptOutcome::Joined(joined) = store.accept_link(guild.id, room.id, now).await.unwrap()
    else {
        panic!("the room joins")
    };
    assert_eq!(joined.id, room.id);
    assert!(store.link_requests(guild.id, now).await.unwrap().is_empty());
    // Single use, and nothing of the failed tries changed anything.
    assert_eq!(
        store.join_by_code("h1", other.id, now).await.unwrap(),
        JoinOutcome::Used
    );
    assert_eq!(
        store
            .linked(guild.id)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        vec![room.id]
    );
    assert!(store.linked(other.id).await.unwrap().is_empty());

    // The room resolves to the guild's community, with its own row kept.
    let resolved = store
        .community("matrix", "!room:hs", None, now)
        .await
        .unwrap();
    assert_eq!(
        (
            resolved.id,
            resolved.platform.as_str(),
            resolved.joined_from
        ),
        (guild.id, "discord", Some(room.id))
    );
    assert_eq!(resolved.own_id(), room.id);
    let found = store
        .find_community("matrix:!room:hs")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, found.own_id()), (guild.id, room.id));
    // Its channels, old and new, read in the guild's community; its threads stay its own.
    let again = store
        .channel("matrix", "!room:hs", None, room.id, now)
        .await
        .unwrap();
    assert_eq!((again.id, again.community_id), (in_room.id, Some(guild.id)));
    let side = store
        .channel("matrix", "!side:hs", None, room.id, now)
        .await
        .unwrap();
    assert_eq!(side.community_id, Some(guild.id));
    // A command's first read finds both at once, resolved the same way.
    let (place, channel) = store
        .known_place("matrix", "!room:hs", "!side:hs", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (place.id, place.own_id(), channel.id, channel.community_id),
        (guild.id, room.id, side.id, Some(guild.id))
    );
    for (community, channel, name) in [
        ("!room:hs", "!side:hs", Some("renamed")),
        ("!room:hs", "!unseen:hs", None),
        ("guild", "!side:hs", None),
        ("!unseen:hs", "!side:hs", None),
    ] {
        assert!(
            store
                .known_place("matrix", community, channel, name)
                .await
                .unwrap()
                .is_none(),
            "{community} {channel} {name:?}: to be written first"
        );
    }
    assert!(
        store
            .discussion_by_thread("matrix", "$root", Some("!room:hs"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .discussion_by_thread("matrix", "$root", Some("guild"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .tracked_threads("matrix", room.id)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .tracked_threads("matrix", guild.id)
            .await
            .unwrap()
            .is_empty()
    );
    // One shelf without duplicates; one discussion per channel, both read together.
    assert_eq!(shelf_of(&store, guild.id).await, vec![a1, a2, a3]);
    let totals = store.totals(Scope::Community(guild.id)).await.unwrap();
    assert_eq!(
        (totals.articles, totals.discussions, totals.messages),
        (3, 2, 3)
    );
    assert_eq!(
        store
            .article_messages(Scope::Community(guild.id), a3)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(shelf_of(&store, other.id).await, vec![a4]);
    // The room's own publication is gone: the guild decides about the web now.
    assert_eq!(store.publication(room.id).await.unwrap(), None);
    // Shelved from the room while joined: on both shelves. Shown on the other side, an
    // article read only through the link does not become that side's own. (Shown: the same
    // rows as `shelve`, committed without waiting for the disk on PostgreSQL.)
    store.shelve_shown(room.id, a5, None, now).await.unwrap();
    store.shelve_shown(guild.id, a2, None, now).await.unwrap();
    store.shelve_shown(room.id, a1, None, now).await.unwrap();
    assert_eq!(shelf_of(&store, guild.id).await, vec![a1, a2, a3, a5]);

    // Pins across the link, and one of the room's own.
    store
        .pin_from(r1, "mona", Some(guild.id), Some("the guild's note"), now)
        .await
        .unwrap();
    store
        .pin_from(g1, "ruth", Some(room.id), Some("the room's note"), now)
        .await
        .unwrap();
    store
        .pin_from(r2, "ruth", Some(room.id), Some("its own"), now)
        .await
        .unwrap();
    let notes = |scope| store.pins(Scope::Community(scope), None, 10);
    assert_eq!(notes(guild.id).await.unwrap().len(), 3);

    // Joined already; a community others joined cannot join another (they agreed to it).
    store
        .issue_link_code(other.id, "h2", "discord:olga", now, soon)
        .await
        .unwrap();
    let JoinOutcome::AlreadyJoined(current) = store.join_by_code("h2", room.id, now).await.unwrap()
    else {
        panic!("already joined")
    };
    assert_eq!(current.id, guild.id);
    store
        .issue_link_code(other.id, "h2b", "discord:olga", now, soon)
        .await
        .unwrap();
    assert_eq!(
        store.join_by_code("h2b", guild.id, now).await.unwrap(),
        JoinOutcome::HasMembers(1)
    );
    assert!(store.linked(other.id).await.unwrap().is_empty());

    // Leaving moves exactly the room's channels back, and takes back what only it brought.
    assert_eq!(
        store.unlink(room.id).await.unwrap().map(|c| c.id),
        Some(guild.id)
    );
    assert_eq!(store.unlink(room.id).await.unwrap(), None);
    let back = store
        .community("matrix", "!room:hs", None, now)
        .await
        .unwrap();
    assert_eq!((back.id, back.joined_from), (room.id, None));
    for channel in ["!room:hs", "!side:hs"] {
        let channel = store
            .channel("matrix", channel, None, room.id, now)
            .await
            .unwrap();
        assert_eq!(channel.community_id, Some(room.id));
    }
    let general = store
        .channel("discord", "general", None, guild.id, now)
        .await
        .unwrap();
    assert_eq!(general.community_id, Some(guild.id));
    assert_eq!(shelf_of(&store, guild.id).await, vec![a1, a3]);
    assert_eq!(shelf_of(&store, room.id).await, vec![a2, a3, a5]);
    let messages = |scope| store.article_messages(Scope::Community(scope), a3);
    assert_eq!(
        messages(guild.id)
            .await
            .unwrap()
            .iter()
            .map(|(m, _)| m.platform_id.as_str())
            .collect::<Vec<_>>(),
        vec!["g1"]
    );
    assert_eq!(
        messages(room.id)
            .await
            .unwrap()
            .iter()
            .map(|(m, _)| m.platform_id.as_str())
            .collect::<Vec<_>>(),
        vec!["$r1", "$r2"]
    );
    // A note one side wrote on the other's message went with neither.
    assert!(notes(guild.id).await.unwrap().is_empty());
    let room_notes: Vec<Option<String>> = notes(room.id)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.note)
        .collect();
    assert_eq!(room_notes, vec![Some("its own".to_owned())]);
    assert_eq!(
        store
            .tracked_threads("matrix", room.id)
            .await
            .unwrap()
            .len(),
        1
    );

    // The guild's moderators can take the room out too (the same undoing); and when the bot
    // leaves the guild, the room joined to it stays with its channels as the guild is purged.
    store
        .issue_link_code(guild.id, "h3", "discord:mona", now, soon)
        .await
        .unwrap();
    assert!(matches!(
        store.join_by_code("h3", room.id, now).await.unwrap(),
        JoinOutcome::Asked(_)
    ));
    assert!(matches!(
        store.accept_link(guild.id, room.id, now).await.unwrap(),
        AcceptOutcome::Joined(_)
    ));
    store.community_left("discord", "guild", now).await.unwrap();
    assert_eq!(store.purge_left(now).await.unwrap(), 1);
    let room_now = store
        .community("matrix", "!room:hs", None, now)
        .await
        .unwrap();
    assert_eq!((room_now.id, room_now.joined_from), (room.id, None));
    assert_eq!(shelf_of(&store, room.id).await, vec![a2, a3, a5]);
    assert_eq!(messages(room.id).await.unwrap().len(), 2);
    assert!(
        store
            .find_channel("discord:general")
            .await
            .unwrap()
            .is_none()
    );

    // A joined community the bot left is purged with its channels, wherever they are read,
    // and its copies leave the other's shelf; the other keeps its own.
    store
        .issue_link_code(other.id, "h4", "discord:olga", now, soon)
        .await
        .unwrap();
    assert!(matches!(
        store.join_by_code("h4", room.id, now).await.unwrap(),
        JoinOutcome::Asked(_)
    ));
    assert!(matches!(
        store.accept_link(other.id, room.id, now).await.unwrap(),
        AcceptOutcome::Joined(_)
    ));
    assert_eq!(shelf_of(&store, other.id).await, vec![a2, a3, a4, a5]);
    store
        .community_left("matrix", "!room:hs", now)
        .await
        .unwrap();
    assert_eq!(store.purge_left(now).await.unwrap(), 1);
    assert_eq!(shelf_of(&store, other.id).await, vec![a4]);
    assert!(
        store
            .find_channel("matrix:!room:hs")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.totals(Scope::Operator).await.unwrap().messages, 0);
    let elsewhere_again = store
        .channel("discord", "elsewhere", None, other.id, now)
        .await
        .unwrap();
    assert_eq!(elsewhere_again.id, elsewhere.id);
    assert!(store.linked(other.id).await.unwrap().is_empty());
}

async fn platform_bookkeeping(store: Store) {
    let now = t0();
    assert_eq!(store.state("matrix", "since").await.unwrap(), None);
    store.set_state("matrix", "since", "s1").await.unwrap();
    store.set_state("matrix", "since", "s2").await.unwrap();
    assert_eq!(
        store.state("matrix", "since").await.unwrap().as_deref(),
        Some("s2")
    );
    assert!(!store.was_handled("matrix", "$e").await.unwrap());
    store.mark_handled("matrix", "$e", now).await.unwrap();
    store.mark_handled("matrix", "$e", now).await.unwrap();
    assert!(store.was_handled("matrix", "$e").await.unwrap());
    assert_eq!(
        store
            .prune_handled(now + Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    assert!(!store.was_handled("matrix", "$e").await.unwrap());
}

async fn failures_waiting_events_catch_ups_and_publications(store: Store) {
    let now = t0();
    let room = store
        .community("matrix", "!room:hs", None, now)
        .await
        .unwrap();
    let other = store
        .community("matrix", "!other:hs", None, now)
        .await
        .unwrap();
    // An event given up on is handled, counted for its community only, and stops waiting.
    let waiting = readingroom::store::WaitingEvent {
        event_id: "$enc".into(),
        room: "!room:hs".into(),
        session_id: Some("sess".into()),
        raw: "{}".into(),
        first_seen: now,
    };
    store.wait_for_key("matrix", &waiting).await.unwrap();
    let later = readingroom::store::WaitingEvent {
        first_seen: now + Duration::hours(1),
        ..waiting.clone()
    };
    store.wait_for_key("matrix", &later).await.unwrap();
    assert_eq!(
        store.waiting("matrix", None).await.unwrap(),
        vec![waiting.clone()]
    );
    assert_eq!(
        store.waiting("matrix", Some("sess")).await.unwrap().len(),
        1
    );
    assert!(
        store
            .waiting("matrix", Some("else"))
            .await
            .unwrap()
            .is_empty()
    );
    store
        .event_failed(
            "matrix",
            "$enc",
            Some(room.id),
            "no key",
            now + Duration::minutes(1),
        )
        .await
        .unwrap();
    store
        .event_failed(
            "matrix",
            "$cmd",
            Some(room.id),
            "forbidden",
            now + Duration::minutes(2),
        )
        .await
        .unwrap();
    assert!(store.was_handled("matrix", "$enc").await.unwrap());
    assert!(store.waiting("matrix", None).await.unwrap().is_empty());
    let failures = store.failures(room.id, now).await.unwrap();
    assert_eq!(failures.count, 2);
    assert_eq!(
        failures.latest,
        Some(("forbidden".to_owned(), now + Duration::minutes(2)))
    );
    assert_eq!(store.failures(other.id, now).await.unwrap().count, 0);
    assert_eq!(
        store
            .failures(room.id, now + Duration::minutes(3))
            .await
            .unwrap()
            .count,
        0
    );
    store.stop_waiting("matrix", "$none").await.unwrap();

    // The last catch-up is the community's own.
    let record = readingroom::store::CatchUpRecord {
        ran_at: now,
        duration: std::time::Duration::from_millis(1500),
        threads: 2,
        pages: 3,
        recorded: 120,
        updated: 1,
        deleted: 1,
        cut_short: true,
    };
    store.save_catch_up(room.id, &record).await.unwrap();
    assert_eq!(
        store
            .last_catch_up(Scope::Community(room.id))
            .await
            .unwrap(),
        Some(record.clone())
    );
    assert_eq!(
        store
            .last_catch_up(Scope::Community(other.id))
            .await
            .unwrap(),
        None
    );
    // The operator's is the latest of all.
    let later = readingroom::store::CatchUpRecord {
        ran_at: now + Duration::minutes(1),
        ..record.clone()
    };
    store.save_catch_up(other.id, &later).await.unwrap();
    assert_eq!(
        store.last_catch_up(Scope::Operator).await.unwrap(),
        Some(later)
    );

    // A publication: found by its token while it lasts.
    store.publish(room.id, "t0ken", "mod", now).await.unwrap();
    assert_eq!(
        store.publication(room.id).await.unwrap().as_deref(),
        Some("t0ken")
    );
    assert_eq!(
        store.published("t0ken").await.unwrap().map(|c| c.id),
        Some(room.id)
    );
    assert!(store.unpublish(room.id).await.unwrap());
    assert_eq!(store.published("t0ken").await.unwrap(), None);
    assert!(
        store
            .shelf_page(Scope::Community(room.id), 0, 20)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn claims_go_to_one_holder_until_they_expire(store: Store) {
    let now = t0();
    let until = now + Duration::seconds(30);
    // Eight claimants at once, each for the same forty names: every name goes to exactly one.
    let mut tasks = Vec::new();
    for holder in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut won = Vec::new();
            for n in 0..40 {
                if store
                    .claim(&format!("job/{n}"), &format!("p{holder}"), now, until)
                    .await
                    .unwrap()
                {
                    won.push(n);
                }
            }
            won
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        winners.extend(task.await.unwrap());
    }
    winners.sort_unstable();
    assert_eq!(
        winners,
        (0..40).collect::<Vec<_>>(),
        "each name claimed exactly once"
    );
    let holder = store.lease_holder("job/0", now).await.unwrap().unwrap();
    // The holder renews; anyone else is refused until the lease lapses, then takes it over.
    assert!(store.claim("job/0", &holder, now, until).await.unwrap());
    assert!(
        !store
            .claim(
                "job/0",
                "other",
                until - Duration::seconds(1),
                until + Duration::seconds(30)
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .claim("job/0", "other", until, until + Duration::seconds(30))
            .await
            .unwrap()
    );
    assert_eq!(
        store.lease_holder("job/0", until).await.unwrap().as_deref(),
        Some("other")
    );
    // Releasing is the holder's alone.
    store.release("job/0", &holder).await.unwrap();
    assert_eq!(
        store.lease_holder("job/0", until).await.unwrap().as_deref(),
        Some("other")
    );
    store.release("job/0", "other").await.unwrap();
    assert_eq!(store.lease_holder("job/0", until).await.unwrap(), None);
    assert_eq!(
        store.leases("job/1", now).await.unwrap().len(),
        11,
        "job/1 and job/10..19"
    );
    assert!(
        store.leases("job/", until).await.unwrap().is_empty(),
        "all lapsed by then"
    );
}

/// A store the release before pins carried their place (migrations up to 0010) migrates in
/// place: its pin is listed for its community and its article, and on PostgreSQL its article
/// is found by search through the narrow copy the later migration fills.
async fn a_store_from_before_pins_knew_their_place_migrates(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (location, migrations) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display()),
            concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"),
        ),
        Backend::Postgres => (
            common::postgres::cluster().database().await,
            concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"),
        ),
    };
    let old = dir.path().join("migrations");
    std::fs::create_dir(&old).unwrap();
    for entry in std::fs::read_dir(migrations).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.ends_with(".sql") && name.as_str() < "0011" {
            std::fs::copy(&path, old.join(&name)).unwrap();
        }
    }
    let parsed = article(
        "Lantern makers",
        "The lantern makers of the old quarter work late.",
    );
    let body: Vec<&str> = parsed.paragraphs.iter().map(|p| p.text.as_str()).collect();
    let at = "'2026-03-01T11:00:00Z'";
    let statements = [
        format!(
            "INSERT INTO communities (platform, external_id, name, created_at)
             VALUES ('discord', '777', 'guild', {at})"
        ),
        format!(
            "INSERT INTO channels (platform, external_id, name, created_at, community_id, home_id)
             SELECT 'discord', '555', 'books', {at}, id, id FROM communities"
        ),
        format!(
            "INSERT INTO articles (title, content_hash, origin, body, doc, created_at, library)
             VALUES ($1, $2, 'lanterns.md', $3, $4, {at}, TRUE)"
        ),
        format!(
            "INSERT INTO discussions (article_id, channel_id, created_at)
             SELECT a.id, c.id, {at} FROM articles a, channels c"
        ),
        format!(
            "INSERT INTO messages (discussion_id, platform, platform_id, author_id, author_name,
                                   body, created_at)
             SELECT id, 'discord', 'm1', 'u1', 'ana', 'the lantern take', {at} FROM discussions"
        ),
        format!(
            "INSERT INTO pins (message_id, pinned_by, note, pinned_at)
             SELECT id, 'mod', 'best', {at} FROM messages"
        ),
    ];
    macro_rules! seed {
        ($pool:expr) => {{
            let pool = $pool;
            sqlx::migrate::Migrator::new(old.as_path())
                .await
                .unwrap()
                .run(&pool)
                .await
                .unwrap();
            for statement in &statements {
                let query = sqlx::query(sqlx::AssertSqlSafe(statement.as_str()));
                // Only the article's row takes parameters: its text, as the store writes it.
                let query = if statement.contains("$1") {
                    query
                        .bind(&parsed.title)
                        .bind(readingroom::store::content_hash(&parsed))
                        .bind(body.join("\n\n"))
                        .bind(serde_json::to_string(&parsed).unwrap())
                } else {
                    query
                };
                query.execute(&pool).await.unwrap();
            }
            pool.close().await;
        }};
    }
    match backend {
        Backend::Sqlite => seed!(sqlx::SqlitePool::connect(&location).await.unwrap()),
        Backend::Postgres => seed!(sqlx::PgPool::connect(&location).await.unwrap()),
    }

    let store = Store::open(&location).await.unwrap();
    let community = store.find_community("discord:777").await.unwrap().unwrap();
    let scope = Scope::Community(community.id);
    let id = store.search(scope, "lanterns", 5).await.unwrap();
    assert_eq!(id.len(), 1, "{id:?}");
    let id = id[0].id;
    for article in [None, Some(id)] {
        let pins = store.pins(scope, article, 10).await.unwrap();
        assert_eq!(
            pins.iter()
                .map(|p| (p.body.as_str(), p.note.as_deref()))
                .collect::<Vec<_>>(),
            [("the lantern take", Some("best"))],
            "{article:?}"
        );
    }
    assert!(store.integrity_check().await.unwrap());
}

mod a_store_from_before_pins_knew_their_place {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_store_from_before_pins_knew_their_place_migrates(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_store_from_before_pins_knew_their_place_migrates(Backend::Postgres).await;
    }
}

/// A PostgreSQL on the same machine reached through its Unix socket (the README's address for
/// it): the store opens it, brings its tables up and reads back what it wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_through_its_unix_socket() {
    let cluster = common::postgres::cluster();
    let over_tcp = cluster.database().await;
    let name = over_tcp.rsplit('/').next().unwrap();
    let url = cluster.socket_url(name);
    // The server has no address for a connection that came through the socket, where one
    // over TCP to `localhost` would give 127.0.0.1.
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let by_socket: bool = sqlx::query_scalar("SELECT inet_server_addr() IS NULL")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(by_socket, "{url} connected over TCP");
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    let made = store
        .community("console", "by-socket", Some("Socket"), t0())
        .await
        .unwrap();
    let found = store.find_community("console:by-socket").await.unwrap();
    assert_eq!(found.map(|c| (c.id, c.name)), Some((made.id, made.name)));
}
