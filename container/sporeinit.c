/* sporeinit: PID 1 of a spore guest. Static, musl, no allocation.
 * For now it only knows --help; the guest duties come with the launch work. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: sporeinit\n"
		     "\n"
		     "PID 1 of a spore guest: mounts the image, runs the container, reports\n"
		     "its exit status and powers the guest off. (Not implemented yet.)");
		return 0;
	}
	fputs("sporeinit: not implemented yet\n", stderr);
	return getpid() == 1 ? 1 : 2;
}
