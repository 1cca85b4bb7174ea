/* daemon.h — the `tend daemon` command. */
#ifndef TEND_DAEMON_DAEMON_H
#define TEND_DAEMON_DAEMON_H

int daemon_main(int argc, char **argv);

#endif
