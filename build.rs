//! Files embedded with rust-embed (migrations, locale texts, static assets)
//! are read at compile time; a *new* file in those folders must trigger a
//! rebuild too, which cargo only knows when told to watch the folders.
fn main() {
    for dir in ["migrations", "locales", "static", "data"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
