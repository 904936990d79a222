# Warnings for Pando's own targets only (not exported, not forced on consumers).
add_library(pando_warnings INTERFACE)
target_compile_options(pando_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough)
if(PANDO_WERROR)
  target_compile_options(pando_warnings INTERFACE -Werror)
endif()
