/// Modules built on JSONRPC run their blocking work on the same OS layer (`startThread`, `ConditionLock`,
/// descriptors), so importing JSONRPC brings `System` with it.
@_exported import System
