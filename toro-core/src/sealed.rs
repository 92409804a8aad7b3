//! Sealed traits: public traits that only toro implements (a queue's and a semaphore's
//! `Kind`), so that they can gain items without breaking anyone's code.

/// Declares the marker types of a sealed trait: uninhabited enums (a kind named at the
/// type level, never a value), `Debug`, each implementing `$sealed`, the trait's private
/// supertrait, which no other crate can name and so no other crate can implement.
macro_rules! sealed_markers {
    ($sealed:path; $($(#[$attr:meta])* pub enum $marker:ident {})+) => {$(
        $(#[$attr])*
        #[derive(Debug)]
        pub enum $marker {}

        impl $sealed for $marker {}
    )+};
}
pub(crate) use sealed_markers;
