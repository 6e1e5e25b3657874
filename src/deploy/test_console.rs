//! A console for unit tests that keeps every message and confirms
//! according to a fixed value.

use std::cell::RefCell;
use std::time::Duration;

use super::console::Console;

#[derive(Default)]
pub struct TestConsole {
    pub lines: RefCell<Vec<String>>,
    pub answer: bool,
}

impl TestConsole {
    /// Returns every message so far, one per line.
    pub fn text(&self) -> String {
        self.lines.borrow().join("\n")
    }
}

impl Console for TestConsole {
    fn progress(&self, message: &str) {
        self.lines.borrow_mut().push(format!("progress: {message}"));
    }

    fn status(&self, state: &str, _elapsed: Duration) {
        self.lines.borrow_mut().push(format!("status: {state}"));
    }

    fn warning(&self, message: &str) {
        self.lines.borrow_mut().push(format!("warning: {message}"));
    }

    fn can_confirm(&self) -> bool {
        true
    }

    fn confirm(&self, question: &str) -> bool {
        self.lines.borrow_mut().push(format!("confirm: {question}"));
        self.answer
    }
}
