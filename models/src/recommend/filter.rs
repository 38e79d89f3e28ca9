//! Filters in Amazon Personalize's filter expression language.
//!
//! ```text
//! EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")
//! INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) AND Items.PRICE < 20
//! INCLUDE ItemID WHERE Items.CATEGORY = CurrentItem.CATEGORY
//! EXCLUDE ItemID WHERE Items.RATING IN ("R") IF CurrentUser.AGE < 18
//! EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase") | INCLUDE ItemID WHERE Items.GENRE IN ("Drama")
//! ```
//!
//! A filter is parsed once, when the Solution is read, so a malformed expression is rejected with
//! the (1-based) position of the problem before any request sees it. At request time it is bound
//! to the user's history, the current item (for related-item requests) and the `filterValues` of
//! the request, which gives a cheap per-item predicate.
//!
//! Semantics, as in Personalize: expressions joined by `|` must all pass; `INCLUDE` keeps only the
//! items that match, `EXCLUDE` drops them; `AND` binds tighter than `OR`; an `Interactions.`
//! condition matches the items the user had events on that satisfy it; an `IF` clause on the
//! request's user's attributes (`CurrentUser.`, as AWS writes it, or `Users.`) switches the expression on or off for the user; a condition whose placeholder
//! has no value in the request is left out (and an expression left without conditions does
//! nothing). Nothing is excluded by default. Values compare as numbers when both sides are
//! numbers, as strings otherwise; multi-valued attributes (`Action|Comedy`) match on any value.

use std::collections::{HashMap, HashSet};

use super::data::{Attributes, Dataset, Event};

/// A malformed expression or a request that does not fit it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    /// Syntax error at a 1-based character position.
    #[error("filter expression error at position {position}: {message}")]
    Syntax {
        /// 1-based character position in the expression.
        position: usize,
        /// What was expected or found.
        message: String,
    },
    /// A `filterValues` entry that is not a list of quoted strings or numbers.
    #[error("filter value for {name}: {message}")]
    Value {
        /// Placeholder name (`$GENRE`).
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// Which dataset a field refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `Items.`
    Items,
    /// `Interactions.`
    Interactions,
    /// `Users.`
    Users,
    /// `CurrentItem.` (related-item requests)
    CurrentItem,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `IN (...)`
    In,
    /// `NOT IN (...)`
    NotIn,
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A value on the right of an operator.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A string or number literal.
    Literal(String),
    /// `$NAME`, bound from `filterValues`.
    Placeholder(String),
    /// `CurrentItem.FIELD`.
    CurrentItem(String),
}

/// One condition `Source.FIELD op value(s)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// Dataset of the field.
    pub source: Source,
    /// Field name (upper case).
    pub field: String,
    /// Operator.
    pub op: Op,
    /// Right-hand side values (one for scalar operators).
    pub values: Vec<Operand>,
}

/// One `INCLUDE`/`EXCLUDE` expression: OR of AND-groups, plus optional `IF` user conditions.
#[derive(Clone, Debug, PartialEq)]
pub struct Expression {
    /// `INCLUDE` (true) or `EXCLUDE` (false).
    pub include: bool,
    /// Disjunction of conjunctions.
    pub any_of: Vec<Vec<Condition>>,
    /// `IF` conditions (all must hold for the expression to apply).
    pub when: Vec<Condition>,
}

/// A parsed filter: expressions joined by `|`.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// The expressions, all of which must pass.
    pub expressions: Vec<Expression>,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Placeholder(String),
    Dot,
    LParen,
    RParen,
    Comma,
    Pipe,
    Op(&'static str),
}

fn syntax(position: usize, message: impl Into<String>) -> FilterError {
    FilterError::Syntax { position, message: message.into() }
}

/// Tokens with their 1-based positions.
fn lex(src: &str) -> Result<Vec<(Tok, usize)>, FilterError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        match c {
            c if c.is_whitespace() => i += 1,
            '.' => {
                out.push((Tok::Dot, pos));
                i += 1;
            }
            '(' => {
                out.push((Tok::LParen, pos));
                i += 1;
            }
            ')' => {
                out.push((Tok::RParen, pos));
                i += 1;
            }
            ',' => {
                out.push((Tok::Comma, pos));
                i += 1;
            }
            '|' => {
                out.push((Tok::Pipe, pos));
                i += 1;
            }
            '=' => {
                out.push((Tok::Op("="), pos));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                out.push((Tok::Op("!="), pos));
                i += 2;
            }
            '<' | '>' => {
                let two = chars.get(i + 1) == Some(&'=');
                let op = match (c, two) {
                    ('<', true) => "<=",
                    ('<', false) => "<",
                    (_, true) => ">=",
                    _ => ">",
                };
                out.push((Tok::Op(op), pos));
                i += if two { 2 } else { 1 };
            }
            '"' => {
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => return Err(syntax(pos, "unterminated string")),
                        Some('\\') if chars.get(j + 1).is_some() => {
                            s.push(chars[j + 1]);
                            j += 2;
                        }
                        Some('"') => break,
                        Some(&ch) => {
                            s.push(ch);
                            j += 1;
                        }
                    }
                }
                out.push((Tok::Str(s), pos));
                i = j + 1;
            }
            '$' => {
                let mut j = i + 1;
                while chars.get(j).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_') {
                    j += 1;
                }
                if j == i + 1 {
                    return Err(syntax(pos, "expected a placeholder name after '$'"));
                }
                out.push((Tok::Placeholder(chars[i + 1..j].iter().collect()), pos));
                i = j;
            }
            c if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) => {
                let mut j = i + 1;
                while chars.get(j).is_some_and(|c| c.is_ascii_digit() || *c == '.') {
                    j += 1;
                }
                out.push((Tok::Num(chars[i..j].iter().collect()), pos));
                i = j;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while chars.get(j).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_') {
                    j += 1;
                }
                out.push((Tok::Ident(chars[i..j].iter().collect()), pos));
                i = j;
            }
            other => return Err(syntax(pos, format!("unexpected character '{other}'"))),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
    end: usize,
}

impl Parser {
    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.end, |t| t.1)
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|t| &t.0)
    }
    fn peek_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }
    fn keyword(&mut self, kw: &str) -> Result<(), FilterError> {
        if self.peek_keyword(kw) {
            self.at += 1;
            Ok(())
        } else {
            Err(syntax(self.pos(), format!("expected {kw}")))
        }
    }
    fn expect(&mut self, t: Tok, what: &str) -> Result<(), FilterError> {
        if self.peek() == Some(&t) {
            self.at += 1;
            Ok(())
        } else {
            Err(syntax(self.pos(), format!("expected {what}")))
        }
    }
    fn ident(&mut self, what: &str) -> Result<String, FilterError> {
        match self.peek() {
            Some(Tok::Ident(s)) => {
                let s = s.clone();
                self.at += 1;
                Ok(s)
            }
            _ => Err(syntax(self.pos(), format!("expected {what}"))),
        }
    }

    fn filter(&mut self) -> Result<Filter, FilterError> {
        let mut expressions = vec![self.expression()?];
        while self.peek() == Some(&Tok::Pipe) {
            self.at += 1;
            expressions.push(self.expression()?);
        }
        if self.peek().is_some() {
            return Err(syntax(self.pos(), "expected '|', AND, OR, IF or the end of the expression"));
        }
        Ok(Filter { expressions })
    }

    fn expression(&mut self) -> Result<Expression, FilterError> {
        let include = if self.peek_keyword("INCLUDE") {
            true
        } else if self.peek_keyword("EXCLUDE") {
            false
        } else {
            return Err(syntax(self.pos(), "expected INCLUDE or EXCLUDE"));
        };
        self.at += 1;
        let pos = self.pos();
        let target = self.ident("ItemID")?;
        if !target.eq_ignore_ascii_case("ItemID") {
            return Err(syntax(pos, format!("expected ItemID, found {target} (only item filters are supported)")));
        }
        self.keyword("WHERE")?;
        let mut any_of = vec![vec![self.condition(false)?]];
        loop {
            if self.peek_keyword("AND") {
                self.at += 1;
                let c = self.condition(false)?;
                if let Some(last) = any_of.last_mut() {
                    last.push(c);
                }
            } else if self.peek_keyword("OR") {
                self.at += 1;
                any_of.push(vec![self.condition(false)?]);
            } else {
                break;
            }
        }
        let mut when = Vec::new();
        if self.peek_keyword("IF") {
            self.at += 1;
            when.push(self.condition(true)?);
            while self.peek_keyword("AND") {
                self.at += 1;
                when.push(self.condition(true)?);
            }
        }
        Ok(Expression { include, any_of, when })
    }

    fn condition(&mut self, users_only: bool) -> Result<Condition, FilterError> {
        let pos = self.pos();
        let ds = self.ident("a dataset (Items, Interactions, CurrentUser, Users or CurrentItem)")?;
        let source = match ds.to_ascii_uppercase().as_str() {
            "ITEMS" => Source::Items,
            "INTERACTIONS" => Source::Interactions,
            // AWS writes an IF clause's conditions on `CurrentUser.`; `Users.` means the same here.
            "USERS" | "CURRENTUSER" => Source::Users,
            "CURRENTITEM" => Source::CurrentItem,
            _ => {
                return Err(syntax(
                    pos,
                    format!("unknown dataset '{ds}': expected Items, Interactions, CurrentUser, Users or CurrentItem"),
                ));
            }
        };
        if users_only && source != Source::Users {
            return Err(syntax(pos, "an IF clause takes CurrentUser (or Users) conditions only"));
        }
        if source == Source::CurrentItem {
            return Err(syntax(
                pos,
                "CurrentItem goes on the right of a comparison, e.g. Items.GENRE = CurrentItem.GENRE",
            ));
        }
        self.expect(Tok::Dot, "'.' after the dataset name")?;
        let field = self.ident("a field name")?.to_ascii_uppercase();
        let op_pos = self.pos();
        let op = match self.peek().cloned() {
            Some(Tok::Op(o)) => {
                self.at += 1;
                match o {
                    "=" => Op::Eq,
                    "!=" => Op::Ne,
                    "<" => Op::Lt,
                    "<=" => Op::Le,
                    ">" => Op::Gt,
                    _ => Op::Ge,
                }
            }
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("IN") => {
                self.at += 1;
                Op::In
            }
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("NOT") => {
                self.at += 1;
                self.keyword("IN")?;
                Op::NotIn
            }
            _ => return Err(syntax(op_pos, "expected an operator (IN, NOT IN, =, !=, <, <=, >, >=)")),
        };
        let values = if matches!(op, Op::In | Op::NotIn) {
            self.expect(Tok::LParen, "'(' after IN")?;
            let mut v = vec![self.operand()?];
            while self.peek() == Some(&Tok::Comma) {
                self.at += 1;
                v.push(self.operand()?);
            }
            self.expect(Tok::RParen, "',' or ')'")?;
            v
        } else {
            vec![self.operand()?]
        };
        Ok(Condition { source, field, op, values })
    }

    fn operand(&mut self) -> Result<Operand, FilterError> {
        let pos = self.pos();
        match self.peek().cloned() {
            Some(Tok::Str(s)) | Some(Tok::Num(s)) => {
                self.at += 1;
                Ok(Operand::Literal(s))
            }
            Some(Tok::Placeholder(p)) => {
                self.at += 1;
                Ok(Operand::Placeholder(p.to_ascii_uppercase()))
            }
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("CurrentItem") => {
                self.at += 1;
                self.expect(Tok::Dot, "'.' after CurrentItem")?;
                Ok(Operand::CurrentItem(self.ident("a field name")?.to_ascii_uppercase()))
            }
            _ => Err(syntax(pos, "expected a quoted string, a number, a $PLACEHOLDER or CurrentItem.FIELD")),
        }
    }
}

impl Filter {
    /// Parse an expression; errors carry the 1-based position of the problem.
    pub fn parse(src: &str) -> Result<Self, FilterError> {
        let toks = lex(src)?;
        let end = src.chars().count() + 1;
        if toks.is_empty() {
            return Err(syntax(1, "empty filter expression"));
        }
        Parser { toks, at: 0, end }.filter()
    }

    /// Placeholder names (`GENRE` for `$GENRE`) the expression uses.
    pub fn placeholders(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .expressions
            .iter()
            .flat_map(|e| e.any_of.iter().flatten().chain(&e.when))
            .flat_map(|c| &c.values)
            .filter_map(|v| if let Operand::Placeholder(p) = v { Some(p.clone()) } else { None })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Bind to a request: the catalog, the user's history and attributes, the current item and
    /// the request's `filterValues` (names without `$`, values already split with
    /// [`parse_filter_value`]).
    pub fn bind<'a>(&'a self, catalog: &'a Dataset, ctx: &FilterContext<'_>) -> BoundFilter<'a> {
        let mut exprs = Vec::new();
        for e in &self.expressions {
            // IF clause: all user conditions must hold, else the expression does not apply.
            let active = e.when.iter().all(|c| match resolve(c, ctx, catalog) {
                Some(values) => user_matches(c, &values, ctx, &catalog.user_attributes),
                None => true,
            });
            if !active {
                continue;
            }
            let mut groups = Vec::new();
            for group in &e.any_of {
                let mut conds = Vec::new();
                for c in group {
                    let Some(values) = resolve(c, ctx, catalog) else { continue };
                    conds.push(match c.source {
                        Source::Interactions => {
                            let items: HashSet<u32> = ctx
                                .history
                                .iter()
                                .filter(|ev| interaction_matches(c, &values, ev, catalog))
                                .map(|ev| ev.item)
                                .collect();
                            Bound::ItemSet(items)
                        }
                        Source::Users => Bound::Const(user_matches(c, &values, ctx, &catalog.user_attributes)),
                        _ => Bound::Item(c, values),
                    });
                }
                if !conds.is_empty() {
                    groups.push(conds);
                }
            }
            if !groups.is_empty() {
                exprs.push((e.include, groups));
            }
        }
        BoundFilter { catalog, exprs }
    }
}

/// What a request gives a filter.
#[derive(Clone, Debug, Default)]
pub struct FilterContext<'a> {
    /// The user (dense index), when known.
    pub user: Option<u32>,
    /// The user's events (training and live).
    pub history: &'a [Event],
    /// The item of a related-items request.
    pub current_item: Option<u32>,
    /// `filterValues`, by placeholder name without `$` (upper case), each a list of values.
    pub values: HashMap<String, Vec<String>>,
}

/// Parse one `filterValues` entry as Personalize writes it: `"\"Comedy\",\"Drama\""` — quoted
/// strings (or bare numbers) separated by commas.
pub fn parse_filter_value(name: &str, raw: &str) -> Result<Vec<String>, FilterError> {
    let toks = lex(raw).map_err(|e| FilterError::Value { name: name.to_string(), message: e.to_string() })?;
    let mut out = Vec::new();
    let mut expect_value = true;
    for (t, pos) in toks {
        match (t, expect_value) {
            (Tok::Str(s) | Tok::Num(s), true) => {
                out.push(s);
                expect_value = false;
            }
            (Tok::Comma, false) => expect_value = true,
            _ => {
                return Err(FilterError::Value {
                    name: name.to_string(),
                    message: format!("at position {pos}: expected a quoted value or ','"),
                });
            }
        }
    }
    if expect_value {
        return Err(FilterError::Value { name: name.to_string(), message: "expected a value".into() });
    }
    Ok(out)
}

enum Bound<'a> {
    ItemSet(HashSet<u32>),
    Const(bool),
    Item(&'a Condition, Vec<String>),
}

/// A filter bound to one request: a predicate on items.
pub struct BoundFilter<'a> {
    catalog: &'a Dataset,
    exprs: Vec<(bool, Vec<Vec<Bound<'a>>>)>,
}

impl BoundFilter<'_> {
    /// Whether `item` passes every expression.
    pub fn allows(&self, item: u32) -> bool {
        self.exprs.iter().all(|(include, groups)| {
            let matched = groups.iter().any(|g| g.iter().all(|b| self.holds(b, item)));
            matched == *include
        })
    }

    fn holds(&self, b: &Bound<'_>, item: u32) -> bool {
        match b {
            Bound::ItemSet(s) => s.contains(&item),
            Bound::Const(v) => *v,
            Bound::Item(c, values) => {
                let attr = if c.field == "ITEM_ID" {
                    self.catalog.items().name(item)
                } else {
                    self.catalog.item_attributes.get(item, &c.field)
                };
                compare(attr, c.op, values)
            }
        }
    }
}

/// The right-hand values of a condition for this request; `None` when a placeholder has no value
/// (the condition is left out) or the current item is unknown.
fn resolve(c: &Condition, ctx: &FilterContext<'_>, catalog: &Dataset) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for v in &c.values {
        match v {
            Operand::Literal(s) => out.push(s.clone()),
            Operand::Placeholder(p) => out.extend(ctx.values.get(p)?.iter().cloned()),
            Operand::CurrentItem(f) => {
                let item = ctx.current_item?;
                let value =
                    if f == "ITEM_ID" { catalog.items().name(item) } else { catalog.item_attributes.get(item, f) };
                // A missing attribute matches nothing (but the condition still applies).
                out.extend(value.into_iter().flat_map(|v| v.split('|')).map(|s| s.trim().to_string()));
            }
        }
    }
    Some(out)
}

fn user_matches(c: &Condition, values: &[String], ctx: &FilterContext<'_>, users: &Attributes) -> bool {
    let attr = ctx.user.and_then(|u| users.get(u, &c.field));
    compare(attr, c.op, values)
}

fn interaction_matches(c: &Condition, values: &[String], ev: &Event, catalog: &Dataset) -> bool {
    match c.field.as_str() {
        "EVENT_TYPE" => compare(catalog.event_types().name(ev.event_type), c.op, values),
        "EVENT_VALUE" => compare(ev.value.map(|v| v.to_string()).as_deref(), c.op, values),
        "ITEM_ID" => compare(catalog.items().name(ev.item), c.op, values),
        _ => false,
    }
}

/// `attr op values`, numerically when both sides are numbers. A missing attribute satisfies only
/// `NOT IN` and `!=`.
fn compare(attr: Option<&str>, op: Op, values: &[String]) -> bool {
    let Some(attr) = attr else {
        return matches!(op, Op::NotIn | Op::Ne);
    };
    let parts: Vec<&str> = attr.split('|').map(str::trim).collect();
    let eq = |v: &str| {
        parts.iter().any(|p| *p == v || matches!((p.parse::<f64>(), v.parse::<f64>()), (Ok(a), Ok(b)) if a == b))
    };
    let ord = |v: &str| -> Option<std::cmp::Ordering> {
        match (attr.trim().parse::<f64>(), v.parse::<f64>()) {
            (Ok(a), Ok(b)) => a.partial_cmp(&b),
            _ => Some(attr.trim().cmp(v)),
        }
    };
    use std::cmp::Ordering::*;
    match op {
        Op::In | Op::Eq => values.iter().any(|v| eq(v)),
        Op::NotIn | Op::Ne => !values.iter().any(|v| eq(v)),
        Op::Lt => values.first().and_then(|v| ord(v)) == Some(Less),
        Op::Le => matches!(values.first().and_then(|v| ord(v)), Some(Less | Equal)),
        Op::Gt => values.first().and_then(|v| ord(v)) == Some(Greater),
        Op::Ge => matches!(values.first().and_then(|v| ord(v)), Some(Greater | Equal)),
    }
}
