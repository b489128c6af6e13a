#pragma once

/// @file
/// @brief The exception types the core throws. Every message names the file, key or
/// value at fault, so a caller can print `what()` and exit.
///
/// Each class has an out-of-line destructor (its key function), so its vtable and type
/// information live in libspecrouter alone. An exception thrown by a plugin therefore
/// stays valid after the plugin is unloaded, and catches match across libraries. Plugins
/// should throw these types (or standard ones), not types of their own.

#include <stdexcept>
#include <string>

namespace specrouter {

/// Base of every error SpecRouter reports; `what()` is a complete one-line message.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~Error() override;  ///< out of line: the key function
};

/// A config file, a defaults list, an override or a parameter value is wrong.
class ConfigError : public Error {
 public:
  using Error::Error;
  ~ConfigError() override;  ///< out of line: the key function
};

/// A plugin could not be loaded or registered (the message names the file and reason).
class PluginError : public Error {
 public:
  using Error::Error;
  ~PluginError() override;  ///< out of line: the key function
};

/// A name was looked up in a registry that does not hold it.
class UnknownComponentError : public Error {
 public:
  using Error::Error;
  ~UnknownComponentError() override;  ///< out of line: the key function
};

/// A checkpoint folder, a tensor file or a tokenizer file is missing or corrupt.
class CheckpointError : public Error {
 public:
  using Error::Error;
  ~CheckpointError() override;  ///< out of line: the key function
};

/// A sequence does not fit: a prompt exceeds the model's context, or a KV cache has no
/// room left for the tokens asked of it. Nothing was modified when it is thrown.
class CapacityError : public Error {
 public:
  using Error::Error;
  ~CapacityError() override;  ///< out of line: the key function
};

/// A model produced NaN or infinite values (weights at load, logits at run time): the
/// message names the model, and the tensor or the step. Decoding cannot go on, since every
/// token after it would be garbage.
class NumericalError : public Error {
 public:
  using Error::Error;
  ~NumericalError() override;  ///< out of line: the key function
};

/// A caller broke an interface's contract (an unknown sequence id, a parent index out of
/// range, a negative length); the message names the argument and its value.
class UsageError : public Error {
 public:
  using Error::Error;
  ~UsageError() override;  ///< out of line: the key function
};

}  // namespace specrouter
