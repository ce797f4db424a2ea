/* Part of the Criterion stand-in (criterion.h beside it). */
#include <criterion/criterion.h>
