/* ldr_log.dll's exports (ldr_log.c). */
#ifndef NTOY_TESTS_LOADER_LDR_LOG_H
#define NTOY_TESTS_LOADER_LDR_LOG_H

__declspec(dllimport) void ldr_log(const char* event);
__declspec(dllimport) const char* ldr_log_text(void);

#endif
