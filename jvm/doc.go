// Package jvm finds the JDK and builds the java command line that Otter's
// startup.sh built, fitted to containers and to every JDK from 8 to 25:
// container-aware heap sizing, OOM handling, rotated GC logs, and the
// translation of legacy flags that users paste from startup.sh into
// JAVA_OPTIONS.
//
// Pure logic (splitting JAVA_OPTIONS, the legacy-flag table, the command line,
// parsing release files, cgroup files and host names) is separate from the
// few functions that touch the system (Detect, ContainerMemoryLimit,
// Command.MakeDirs, LibJars, DefaultAdvertiseHost).
package jvm
