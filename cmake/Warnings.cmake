# Warnings: -Wall -Wextra (-Werror unless THPSIM_WERROR is off) on gcc and clang.
add_library(thpsim_warnings INTERFACE)
target_compile_options(thpsim_warnings INTERFACE
	-Wall -Wextra -Wshadow -Wformat=2 -Wundef
	$<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes>
	$<$<BOOL:${THPSIM_WERROR}>:-Werror>)
