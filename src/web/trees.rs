//! Built reply trees of the discussions read lately, with the messages they were built from,
//! kept so that viewing a long discussion again does not read and build all of it again.
//!
//! What is kept is used only as far as it is current: the page reads where the article's
//! discussions stand ([`Store::discussion_marks`]: versions every change to a message bumps,
//! message counts and highest ids, channel labels) and its pins first. The same marks and pins:
//! the kept tree is the page's. The same discussions under the same labels, with more
//! messages, changed ones (each message carries the version its last change made) or other
//! pins: the messages new or changed since are read into the kept ones and the tree is built
//! again, unless the counts then do not add up (an id committed late), when everything is
//! read. Anything else (a renamed channel, a community joining or leaving): everything is read.
//! Every process keeps its own entries; nothing is shared but the store, so what another
//! process writes shows on the next view too.
//!
//! [`Store::discussion_marks`]: crate::store::Store::discussion_marks

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::bot::export::Export;
use crate::store::{ArticleId, DiscussionMark, Pin, StoredMessage};

/// Messages kept over all entries (each about 1 KB with its node in the tree, so about 50 MB
/// at most). A discussion larger than this is read and built on every view and not kept.
const MESSAGES_KEPT: i64 = 50_000;

/// An article's messages as the store gives them, each with its channel's label.
pub(super) type Messages = Vec<(StoredMessage, String)>;

/// What a tree was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Basis {
    marks: Vec<DiscussionMark>,
    pins: Vec<(i64, Option<String>)>,
}

impl Basis {
    pub(super) fn new(marks: Vec<DiscussionMark>, pins: &[Pin]) -> Self {
        Basis {
            marks,
            pins: pins
                .iter()
                .map(|p| (p.message_id, p.note.clone()))
                .collect(),
        }
    }

    fn messages(&self) -> i64 {
        self.marks.iter().map(|m| m.messages).sum()
    }
}

/// A kept view: the tree and what it was built from.
#[derive(Debug, Clone)]
pub(super) struct Kept {
    basis: Basis,
    messages: Arc<Messages>,
    tree: Arc<Export>,
}

/// How much of a kept view a page can use.
#[derive(Debug)]
pub(super) enum Reuse {
    /// The tree as it is.
    Tree(Arc<Export>),
    /// The messages, with those new or changed since ([`Kept::since`]) read into them
    /// ([`Kept::update`]).
    Messages(Kept),
    /// Nothing.
    Nothing,
}

impl Kept {
    /// What of this can serve a page whose discussion stands at `now`.
    pub(super) fn reuse(self, now: &Basis) -> Reuse {
        if self.basis == *now {
            return Reuse::Tree(self.tree);
        }
        let same = self.basis.marks.len() == now.marks.len()
            && self.basis.marks.iter().zip(&now.marks).all(|(was, is)| {
                was.discussion == is.discussion
                    && was.channel == is.channel
                    && was.version <= is.version
                    && was.messages <= is.messages
            });
        if !same {
            return Reuse::Nothing;
        }
        Reuse::Messages(self)
    }

    /// What to read into the kept messages: those with an id above the first, or changed
    /// after the version that is the second (the lowest over the discussions, so a little
    /// more than needed may come, never less).
    pub(super) fn since(&self) -> (i64, i64) {
        let marks = &self.basis.marks;
        (
            marks.iter().map(|m| m.last).min().unwrap_or(0),
            marks.iter().map(|m| m.version).min().unwrap_or(0),
        )
    }

    /// The kept messages with `fresh` (read as [`Kept::since`] says) in place of what they
    /// were and added where new, in order, if that makes every discussion hold what `now`
    /// counts; `None` when it does not (a message committed late, under an id below one
    /// already seen), and everything must be read.
    pub(super) fn update(&self, fresh: Messages, now: &Basis) -> Option<Messages> {
        let mut all = Messages::clone(&self.messages);
        let at: HashMap<i64, usize> = all
            .iter()
            .enumerate()
            .map(|(i, (m, _))| (m.id, i))
            .collect();
        for row in fresh {
            match at.get(&row.0.id) {
                Some(&i) => all[i] = row,
                None => all.push(row),
            }
        }
        let mut counts: HashMap<i64, i64> = HashMap::new();
        for (m, _) in &all {
            *counts.entry(m.discussion_id).or_default() += 1;
        }
        let whole = now
            .marks
            .iter()
            .all(|m| counts.get(&m.discussion).copied().unwrap_or(0) == m.messages);
        if !whole {
            return None;
        }
        all.sort_by_key(|(m, _)| (m.created_at, m.id));
        Some(all)
    }
}

/// The kept views, by community and article.
#[derive(Debug, Default)]
pub(super) struct Trees {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<(i64, ArticleId), Entry>,
    clock: u64,
    messages: i64,
}

#[derive(Debug)]
struct Entry {
    kept: Kept,
    /// When it was last used, on the cache's own clock.
    used: u64,
}

impl Trees {
    /// What is kept for `community`'s view of `article`, if anything.
    pub(super) fn get(&self, community: i64, article: ArticleId) -> Option<Kept> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let now = inner.clock;
        let entry = inner.entries.get_mut(&(community, article))?;
        entry.used = now;
        Some(entry.kept.clone())
    }

    /// Keeps `tree`, built from `messages` standing at `basis`, in place of what was kept for
    /// the same view; the least recently used entries make room.
    pub(super) fn put(
        &self,
        community: i64,
        article: ArticleId,
        basis: Basis,
        messages: Arc<Messages>,
        tree: Arc<Export>,
    ) {
        let size = basis.messages();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = inner.entries.remove(&(community, article)) {
            inner.messages -= old.kept.basis.messages();
        }
        if size > MESSAGES_KEPT {
            return;
        }
        while inner.messages + size > MESSAGES_KEPT {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| *k)
            else {
                break;
            };
            if let Some(old) = inner.entries.remove(&oldest) {
                inner.messages -= old.kept.basis.messages();
            }
        }
        inner.clock += 1;
        let used = inner.clock;
        inner.messages += size;
        inner.entries.insert(
            (community, article),
            Entry {
                kept: Kept {
                    basis,
                    messages,
                    tree,
                },
                used,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn mark(discussion: i64, version: i64, messages: i64, last: i64) -> DiscussionMark {
        DiscussionMark {
            discussion,
            version,
            channel: "console:c".to_owned(),
            messages,
            last,
        }
    }

    fn message(id: i64, discussion: i64, second: u32) -> (StoredMessage, String) {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, second).unwrap();
        (
            StoredMessage {
                id,
                discussion_id: discussion,
                article_id: ArticleId(1),
                platform: "console".to_owned(),
                platform_id: id.to_string(),
                author_id: "a".to_owned(),
                author_name: "A".to_owned(),
                body: Some(format!("message {id}")),
                reply_to: None,
                created_at: at,
                edited_at: None,
                deleted_at: None,
            },
            "console:c".to_owned(),
        )
    }

    fn tree(article: i64) -> Arc<Export> {
        Arc::new(Export {
            article,
            title: String::new(),
            messages: 0,
            thread: Vec::new(),
        })
    }

    fn ids(messages: &Messages) -> Vec<i64> {
        messages.iter().map(|(m, _)| m.id).collect()
    }

    #[test]
    fn what_is_kept_is_used_only_as_far_as_it_is_current() {
        let trees = Trees::default();
        let basis = Basis::new(vec![mark(1, 0, 2, 5), mark(2, 0, 1, 4)], &[]);
        let messages = vec![message(4, 2, 1), message(3, 1, 2), message(5, 1, 3)];
        trees.put(7, ArticleId(1), basis.clone(), Arc::new(messages), tree(1));
        let kept = trees.get(7, ArticleId(1)).unwrap();
        assert!(matches!(kept.clone().reuse(&basis), Reuse::Tree(t) if t.article == 1));
        // Another community's view of the same article is not this one.
        assert!(trees.get(8, ArticleId(1)).is_none());
        // A renamed channel, one discussion fewer or another one: nothing is used.
        for changed in [
            vec![mark(1, 0, 2, 5)],
            vec![mark(1, 0, 2, 5), mark(3, 0, 1, 4)],
            vec![
                mark(1, 0, 2, 5),
                DiscussionMark {
                    channel: "console:renamed".to_owned(),
                    ..mark(2, 0, 1, 4)
                },
            ],
        ] {
            assert!(matches!(
                kept.clone().reuse(&Basis::new(changed, &[])),
                Reuse::Nothing
            ));
        }

        // New messages and a changed one: the kept ones stand, the fresh ones take their
        // place or join them, in time order.
        let grown = Basis::new(vec![mark(1, 2, 3, 7), mark(2, 0, 2, 6)], &[]);
        let Reuse::Messages(kept) = kept.reuse(&grown) else {
            panic!("the kept messages are used")
        };
        assert_eq!(kept.since(), (4, 0));
        // 5 changed; 6 and 7 are new, and 7 was sent before the rest.
        let mut changed = message(5, 1, 3);
        changed.0.body = Some("edited".to_owned());
        let fresh = vec![changed, message(6, 2, 9), message(7, 1, 0)];
        let all = kept.update(fresh, &grown).unwrap();
        assert_eq!(ids(&all), [7, 4, 3, 5, 6]);
        assert_eq!(all[3].0.body.as_deref(), Some("edited"));
        // A message committed late under a lower id than one seen: the counts tell, and
        // everything is read again.
        let late = Basis::new(vec![mark(1, 0, 3, 5), mark(2, 0, 1, 4)], &[]);
        let Reuse::Messages(kept) = kept.reuse(&late) else {
            panic!("counts grew")
        };
        assert!(kept.update(Vec::new(), &late).is_none());
    }

    #[test]
    fn the_least_recently_used_make_room() {
        let trees = Trees::default();
        let put = |article: i64, messages: i64| {
            let basis = Basis::new(vec![mark(article, 0, messages, 1)], &[]);
            trees.put(7, ArticleId(article), basis, Arc::default(), tree(article));
        };
        let part = MESSAGES_KEPT / 10;
        put(1, 6 * part);
        put(2, 3 * part);
        assert!(trees.get(7, ArticleId(1)).is_some());
        put(3, 3 * part);
        assert!(trees.get(7, ArticleId(2)).is_none());
        assert!(trees.get(7, ArticleId(1)).is_some());
        assert!(trees.get(7, ArticleId(3)).is_some());
        // Too large to keep at all, and it pushes nothing out.
        put(4, MESSAGES_KEPT + 1);
        assert!(trees.get(7, ArticleId(4)).is_none());
        assert!(trees.get(7, ArticleId(1)).is_some());
    }
}
