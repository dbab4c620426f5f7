// Package propsfile renders Otter's otter.properties: it reads the release's
// base file, merges the *.properties files of a configuration directory (a
// mounted ConfigMap works), environment variables and *_FILE secret files
// over it, validates the result for the manager or a node, and writes it
// atomically as a file that java.util.Properties.load reads back as exactly
// the intended map.
//
// The reader (Parse) follows java.util.Properties.load(InputStream): bytes
// are ISO-8859-1, "\uXXXX" escapes are UTF-16 code units (surrogate pairs
// combine), continuation lines, "#"/"!" comments and the "=", ":" and
// whitespace separators behave as in the JDK. There is no "${...}"
// expansion: placeholders are Spring's and reach the output untouched.
//
// The writer produces pure ASCII: everything outside printable ASCII is
// written as \uXXXX (surrogate pairs above U+FFFF), and "\", "=", ":", "#",
// "!", spaces in keys, a leading space in values and line terminators are
// escaped, as java.util.Properties.store does.
//
// magiconair/properties is not used: its reader differs from Java's for
// surrogate pairs, CRLF continuation lines, continued keys, empty keys and a
// backslash at the end of the file, it expands "${...}" unless told not to,
// and its writer is not Java-safe (characters above U+FFFF become '?',
// Latin-1 ones are written as UTF-8, an empty key is dropped).
// TestMagiconairDisagreesWithJava re-checks this against the JVM and fails
// when a new release of the library changes it.
package propsfile
