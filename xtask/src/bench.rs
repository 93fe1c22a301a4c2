//! placeholder
/// placeholder
#[derive(Debug)]
pub(crate) struct Options;
impl Options {
    /// placeholder
    pub(crate) fn parse(_a: &[String]) -> Result<Self, String> {
        Ok(Options)
    }
}
/// placeholder
pub(crate) fn run(_o: &Options) -> Result<(), String> {
    Ok(())
}
