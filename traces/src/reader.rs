//! Reading a JSON-lines trace: [`TraceReader`] streams it record by record (the
//! views and the diff use it, so a large trace is never held whole), and
//! [`read_jsonl`] collects it into a [`Trace`].

use crate::error::TraceError;
use crate::hash::TraceHasher;
use crate::jsonl::{mode_name, record_line};
use crate::parse::{parse_header, parse_record, HeadIn, Names};
use crate::record::{Record, Text};
use crate::recording::{Counts, Header, RecordMode, Trace};
use std::io::BufRead;

/// A trace read line by line: the header first (at [`TraceReader::new`]), then
/// one record per [`TraceReader::next_record`].
///
/// The checks of the whole file (the record count and the hash declared by the
/// header) are made when the last record has been read: a stream that ends in
/// an error was altered or truncated, even if every record before was shown.
#[derive(Debug)]
pub struct TraceReader<R> {
    input: R,
    buf: Vec<u8>,
    line_no: usize,
    header_line: usize,
    head: HeadIn,
    names: Names,
    text: String,
    hasher: TraceHasher,
    read: u64,
    done: bool,
}

/// One record as read, with its text (the record's [`Text`] points into it, at
/// offset 0) and its 1-based line number.
#[derive(Clone, Copy, Debug)]
pub struct ReadRecord<'a> {
    /// The line it was read from.
    pub line: usize,
    /// The record.
    pub record: Record,
    /// Its text (empty when the kind has none).
    pub text: &'a str,
}

impl<R: BufRead> TraceReader<R> {
    /// Reads the header line (the first non-blank one).
    pub fn new(mut input: R) -> Result<TraceReader<R>, TraceError> {
        let mut buf = Vec::new();
        let mut line_no = 0;
        let line = next_line(&mut input, &mut buf, &mut line_no)?.ok_or(TraceError::Empty)?;
        let head = parse_header(line).map_err(|m| TraceError::at(line_no, m))?;
        if head.mode == RecordMode::Summary && head.hash.is_none() {
            return Err(TraceError::at(line_no, "field \"hash\": a \"summary\" trace needs its hash"));
        }
        let names = Names::new(&head.header);
        Ok(TraceReader {
            input,
            buf,
            header_line: line_no,
            line_no,
            head,
            names,
            text: String::new(),
            hasher: TraceHasher::default(),
            read: 0,
            done: false,
        })
    }

    /// What the trace is about.
    pub fn header(&self) -> &Header {
        &self.head.header
    }

    /// How it was recorded: only a full trace has record lines.
    pub fn mode(&self) -> RecordMode {
        self.head.mode
    }

    /// The next record, or `None` after the last (once the whole file checked out).
    pub fn next_record(&mut self) -> Result<Option<ReadRecord<'_>>, TraceError> {
        if self.done {
            return Ok(None);
        }
        let Some(line) = next_line(&mut self.input, &mut self.buf, &mut self.line_no)? else {
            self.done = true;
            self.check_end()?;
            return Ok(None);
        };
        let line_no = self.line_no;
        if self.head.mode != RecordMode::Full {
            let mode = mode_name(self.head.mode);
            return Err(TraceError::at(
                line_no,
                format!("a \"{mode}\" trace has only its header line, found a record"),
            ));
        }
        if self.head.records == Some(self.read) {
            let n = self.read;
            let message = format!("the header declares {n} records (field \"records\"), this line is one more");
            return Err(TraceError::at(line_no, message));
        }
        self.text.clear();
        let record = parse_record(line, &self.names, &mut self.text).map_err(|m| TraceError::at(line_no, m))?;
        self.hasher.record(&record, &self.text);
        self.read += 1;
        Ok(Some(ReadRecord { line: line_no, record, text: &self.text }))
    }

    /// The next record as its canonical JSON line (see [`crate::record_line`])
    /// and its 1-based line number in the file.
    pub fn next_line(&mut self) -> Result<Option<(String, usize)>, TraceError> {
        let Some(read) = self.next_record()? else { return Ok(None) };
        let (record, line) = (read.record, read.line);
        let text = record_line(&self.head.header, &record, &self.text).map_err(|m| TraceError::at(line, m))?;
        Ok(Some((text, line)))
    }

    /// At the end of the input: the declared record count and hash must match.
    fn check_end(&self) -> Result<(), TraceError> {
        if self.head.mode != RecordMode::Full {
            return Ok(());
        }
        if let Some(n) = self.head.records.filter(|&n| n != self.read) {
            let found = self.read;
            return Err(TraceError::at(
                self.header_line,
                format!(
                    "the header declares {n} records (field \"records\"), but the trace ends after {found}: truncated?"
                ),
            ));
        }
        let header = &self.head.header;
        let actual =
            self.hasher.finish(header.nodes.iter().map(String::as_str), header.ports.iter().map(String::as_str));
        match self.head.hash {
            Some(declared) if declared != actual => Err(TraceError::at(
                self.header_line,
                format!(
                    "hash mismatch: the header says {declared} but the records hash to {actual}; the trace was altered"
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// Reads a trace written by [`crate::write_jsonl`] (or by a newer writer of the
/// same format version), line by line.
///
/// Blank lines are skipped; unknown fields are ignored. Any other deviation is a
/// [`TraceError::Malformed`] naming the 1-based line and the field. A full trace
/// whose header carries a hash is checked against the hash of its records: a
/// mismatch (the trace was altered) is reported on the header's line.
pub fn read_jsonl(input: impl BufRead) -> Result<Trace, TraceError> {
    let mut reader = TraceReader::new(input)?;
    let mut records = Vec::new();
    let mut arena = String::new();
    while let Some(read) = reader.next_record()? {
        let mut record = read.record;
        if let Some(t) = record.event.text() {
            let start = u32::try_from(arena.len()).ok().filter(|s| s.checked_add(t.len).is_some());
            let start =
                start.ok_or_else(|| TraceError::at(read.line, "field \"text\": the trace's texts exceed 4 GiB"))?;
            arena.push_str(read.text);
            record.event = record.event.with_text(Text { start, len: t.len });
        }
        records.push(record);
    }
    let head = reader.head;
    match head.mode {
        RecordMode::Full => Ok(Trace::from_parts(head.header, records, arena)),
        mode => {
            let hash = if mode == RecordMode::Off { None } else { head.hash };
            Ok(Trace::from_summary(head.header, mode, Counts { records: head.records.unwrap_or(0) }, hash))
        }
    }
}

/// Reads the next non-blank line into `buf` (without its line ending), counting
/// lines; `None` at the end of the input.
fn next_line<'b>(
    input: &mut impl BufRead,
    buf: &'b mut Vec<u8>,
    line_no: &mut usize,
) -> Result<Option<&'b [u8]>, TraceError> {
    loop {
        buf.clear();
        if input.read_until(b'\n', buf)? == 0 {
            return Ok(None);
        }
        *line_no += 1;
        if !buf.iter().all(u8::is_ascii_whitespace) {
            let mut end = buf.len();
            while end > 0 && matches!(buf[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            return Ok(Some(&buf[..end]));
        }
    }
}
