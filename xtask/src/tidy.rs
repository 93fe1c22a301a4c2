//! placeholder
/// placeholder
pub(crate) fn main(_args: &[String]) -> Result<(), String> {
    Ok(())
}
