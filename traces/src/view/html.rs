//! The HTML view (to come).

use super::filter::Filter;
use super::text::ViewError;
use crate::marks::Marks;
use crate::reader::TraceReader;
use std::io::{BufRead, Write};

/// Writes the HTML view.
pub fn write_html<R: BufRead>(
    reader: &mut TraceReader<R>,
    filter: &Filter,
    marks: &Marks,
    out: &mut impl Write,
) -> Result<(), ViewError> {
    let _ = (reader, filter, marks, out);
    Ok(())
}
