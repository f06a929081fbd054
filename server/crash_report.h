// Crash report: on a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) the server
// writes one report to stderr, and to the log file when one is configured, before it dies:
// the signal, the faulting address, the thread, and the call stack as symbol+offset lines
// (the executable exports its symbols for this). The signal is then raised again with the
// default action, so the exit status (139 for SIGSEGV) and any core dump are what they
// would have been without the report. Like Redis's bug report, it exists so that a crash
// seen once (a CI run, a user's server) leaves enough to find the bug.
//
// Install once from main, after logging is set up and before threads start serving. The
// handler uses only async-signal-safe calls apart from backtrace(), which is warmed up at
// install time so it does not load libgcc inside the handler. It runs on an alternate stack
// on the main thread (the loop), so a stack overflow there is reported too; other threads
// have none, and an overflow of theirs dies without a report. The log file is opened once:
// after it is rotated away the report reaches stderr only. A sanitizer build installs
// nothing: the sanitizer's own report is better.
#pragma once

#include <string>

namespace tidekv::server {

// log_file: also append the report there ("" = stderr only).
void InstallCrashReport(const std::string& log_file);

}  // namespace tidekv::server
