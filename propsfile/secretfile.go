package propsfile

// ReadSecretFile reads a secret file as the *_FILE variables' files are
// read: at most 1 MiB, trailing line terminators trimmed. For the
// entrypoint's own secret settings (OTTER_REGISTER_PASSWORD_FILE), so that
// every secret file follows one rule.
func ReadSecretFile(path string) (string, error) { return readSecret(path) }
