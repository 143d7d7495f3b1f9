//! Word lists that more than one recogniser needs, kept in one place so that the date parser,
//! the sentence splitter and the speaker finder agree on what counts as a month or a weekday.
//! All lower case.

/// Month names, January first: a name's index is its month number less one.
pub(crate) const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The abbreviations month names are written with before a full stop ("Jan.", "Sept."); May
/// has none.
pub(crate) const MONTH_ABBREVIATIONS: &[&str] = &[
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
];

/// Weekday names, Monday first.
pub(crate) const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
