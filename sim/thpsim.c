/* thpsim.c - the thpsim command: the library's command line (thpsim/cli.h). */
#include "thpsim/thpsim.h"

int main(int argc, char **argv)
{
	return thpsim_cli_main(argc, argv);
}
