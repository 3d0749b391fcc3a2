//! A participant (inventory, payment or shipping): answers the saga's steps
//! and compensations from its [`Book`], making each change durable in its
//! journal before it answers (write, sync, apply, answer), and replaying the
//! journal when it starts.

use super::book::{Book, Line};
use super::journal::{self, Journal};
use super::oracle::{bump, Oracle};
use super::proto::{Refusal, Request, Response, Step, PORT};
use microsim::property::always_or;
use microsim::rpc::Server;
use std::cell::RefCell;
use std::rc::Rc;

/// The journal's file on the participant's disk.
const FILE: &str = "book.log";

/// Runs the participant `service` on this node until it crashes.
pub async fn serve(service: &'static str, oracle: Rc<Oracle>) -> Result<(), String> {
    let born = oracle.born.borrow().contains(service);
    if journal::wiped(born).await {
        oracle.wiped.set(true);
    }
    oracle.born.borrow_mut().insert(service.to_string());
    let (journal, lines) = Journal::open::<Line>(FILE).await;
    if !lines.is_empty() {
        bump(&oracle.seen.replays);
    }
    let book = Rc::new(RefCell::new(Book::default()));
    for line in &lines {
        book.borrow_mut().apply(line);
    }
    oracle.books.borrow_mut().insert(service, book.clone());
    super::directory::register(service, oracle.registry.clone());
    let server = Server::<Request, Response>::bind(PORT).map_err(|e| e.to_string())?;
    let journal = Rc::new(journal);
    server
        .serve(|req| {
            let (book, journal, oracle) = (book.clone(), journal.clone(), oracle.clone());
            async move { handle(&book, &journal, &oracle, req).await }
        })
        .await;
    Ok(())
}

async fn handle(book: &RefCell<Book>, journal: &Journal, oracle: &Oracle, req: Request) -> Response {
    let decision = book.borrow().decide(&req);
    if decision.duplicate {
        bump(&oracle.seen.duplicates);
    }
    if decision.response == Response::Refused(Refusal::Compensated) {
        bump(&oracle.seen.late_steps_blocked);
    }
    let Some(line) = decision.line else { return decision.response };
    if journal.write(&line).is_err() {
        return Response::Unavailable;
    }
    journal.sync().await;
    book.borrow_mut().apply(&line);
    check(&book.borrow(), &line);
    decision.response
}

/// The at-most-once and stock properties, where a change is applied.
fn check(book: &Book, line: &Line) {
    let (step, work, undo) = match line {
        Line::Did { step, work, .. } => (*step, work, false),
        Line::Undid { step, work, .. } => (*step, work, true),
        Line::Blocked { .. } => return,
    };
    let counts = book.count(work.order, step);
    let (n, name) = match (step, undo) {
        (Step::Charge, false) => (counts.done, "saga: a charge is applied at most once per order"),
        (Step::Charge, true) => (counts.undone, "saga: a refund is applied at most once per order"),
        (_, false) => (counts.done, "saga: a step is applied at most once per order"),
        (_, true) => (counts.undone, "saga: a compensation is applied at most once per order"),
    };
    always_or(name, n <= 1, || {
        format!("order {}: {step:?} {} {n} times", work.order, if undo { "undone" } else { "done" })
    });
    if let Some(s) = book.stock.get(&work.item).filter(|_| matches!(step, Step::Reserve | Step::Commit)) {
        let whole = s.available >= 0 && s.reserved >= 0 && s.available + s.reserved + s.shipped == s.initial;
        always_or("saga: stock adds up per item", whole, || format!("{}: {s:?}", work.item));
    }
}
