//! The HTML view in headless Chromium.
