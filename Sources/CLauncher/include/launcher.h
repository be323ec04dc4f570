#ifndef ESTIBA_LAUNCHER_H
#define ESTIBA_LAUNCHER_H

#include <stddef.h>
#include <sys/types.h>

/* A device node made in the container (`--device`): path inside the container, 'c' or 'b', numbers, mode bits
   (permissions only), owner. */
struct estiba_device_node {
    const char *path;
    char type;
    unsigned major, minor;
    unsigned mode;
    uid_t uid;
    gid_t gid;
};

/* One rule of a device allow-list: type 'a' (all), 'c' or 'b'; major/minor -1 for any; access a set of 'r', 'w',
   'm' bits (1 = mknod, 2 = read, 4 = write, as the kernel's BPF_DEVCG_ACC_*). */
struct estiba_device_rule {
    char type;
    long long major, minor;
    unsigned access;
};

/* Everything the container's first process needs, prepared before clone(): the child only makes system calls. The
   security policy (masked and read-only paths, capabilities, /dev nodes) and the default PATH come from the engine
   with the rest; the launcher has no tables of its own. */
struct estiba_launch {
    const char *merged;            /* where the overlay root is mounted (an empty directory) */
    const char *overlay_options;   /* "lowerdir=…,upperdir=…,workdir=…" */
    const char *const *argv;       /* NULL-terminated; argv[0] is looked up in PATH from envp when relative */
    const char *const *envp;       /* NULL-terminated */
    const char *cwd;               /* absolute, inside the container */
    const char *hostname;
    const char *hosts_file;        /* bind-mounted read-only over /etc/hosts, or NULL */
    const char *hostname_file;     /* over /etc/hostname, or NULL */
    const char *resolv_file;       /* over /etc/resolv.conf, or NULL */
    int host_network;              /* 1: share the host's network namespace; 0: a new one, loopback up */
    int readonly_root;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int ngroups;
    int stdin_fd, stdout_fd, stderr_fd;
    int console_socket;            /* >= 0: allocate a terminal in the container, send its master here (SCM_RIGHTS) */
    unsigned short window_rows;    /* the terminal's size before the command starts (both non-zero: set; else the */
    unsigned short window_columns; /* terminal starts as 0x0 until resized) */
    const char *const *mount_sources;  /* volumes and bind mounts: host paths (nmounts of them) */
    const char *const *mount_targets;  /* absolute paths in the container, resolved inside its root */
    const int *mount_readonly;
    int nmounts;
    int error_fd;                  /* write end of a CLOEXEC pipe: "stage: reason" is written there on failure */
    int sync_fd;                   /* >= 0: read end of a pipe; the child waits for a byte on it before it starts
                                      (so the parent can put it in its cgroups first) */
    int sync_peer_fd;              /* the parent's (write) end of that pipe: the child closes it first, so a parent
                                      that dies before the byte is sent means end of file, never a wait forever */
    int started_fd;                /* -1, or the write end of a pipe: the child writes a byte there once it has its
                                      parent's byte (a keeper learns so whether its container was ever let go) */
    pid_t parent_pid;              /* the caller's pid: a child outside a new pid namespace (exec) that finds
                                      another parent exits at once */
    int parent_death_signal;       /* 0: the child dies with the launching thread only until it is let go; else
                                      the signal it gets when that thread ends, kept through the exec (the
                                      container never outlives its supervisor) */
    int entry_fd;                  /* the estiba-entry program in a sealed memfd: the child executes it, and it
                                      executes argv (see Runtime/EntryProgram) */
    const void *seccomp_filter;    /* struct sock_filter[seccomp_length], installed last before exec; NULL: none */
    unsigned short seccomp_length;
    int no_new_privs;              /* set PR_SET_NO_NEW_PRIVS before exec */
    const struct estiba_device_node *device_nodes;  /* `--device` nodes, each path resolved inside the root */
    int ndevice_nodes;
    const struct estiba_device_node *dev_nodes;  /* the nodes of the fresh /dev (null, zero, …) */
    int ndev_nodes;
    const char *const *masked_paths;   /* NULL-terminated: a directory gets an empty read-only tmpfs, a file /dev/null */
    const char *const *readonly_paths; /* NULL-terminated: bound read-only over themselves */
    const int *capabilities;           /* the capability numbers kept; every other is dropped */
    int ncapabilities;
    const char *default_path;          /* where a relative argv[0] is looked up when envp has no PATH */
};

/* Starts the container; returns the pid of its first process (pid 1 inside), or -errno. */
pid_t estiba_launch(const struct estiba_launch *config);

/* A keeper: the parent a container gets when it must outlive its caller (a foreground container whose client may
   die), like containerd's shim. The caller forks it; it starts the container, reports, waits for it, and records
   how it ended. It makes no allocation (it is a copy of a threaded process) and holds nothing of the caller's
   but the status pipe. */
/* What a keeper records in its exit file for a container its caller never let go (the caller died, or gave up,
   between starting it and letting it run its command). */
#define ESTIBA_NEVER_STARTED "never started\n"

struct estiba_keeper {
    int status_fd;                  /* write end of a pipe to the caller: the container's pid (an int32; negative:
                                       -errno, no container), then its exit code (an int32, 128 + signal when
                                       killed) once it has ended */
    const char *exit_file;          /* where the end is recorded when the container ends: its exit code ("N\n"), or
                                       ESTIBA_NEVER_STARTED when its caller never let it go; written to */
    const char *exit_file_staging;  /* this file first, then renamed */
    const char *const *settle_argv; /* NULL, or the command executed (argv[0] a path) when the caller is gone by the
                                       time the container ends, to record its end */
};

/* Forks a keeper that starts the container as `estiba_launch` does and stays its parent (the container gets
   `config->parent_death_signal` when the keeper ends). Returns the keeper's pid, or -errno; the container's pid
   comes on the status pipe. The standard descriptors left at -1 are the caller's own, handed to the container. */
pid_t estiba_launch_kept(const struct estiba_launch *config, const struct estiba_keeper *keeper);

/* Starts config->argv inside the namespaces of the running container whose first process is target_pid (its
   mount, pid, uts, ipc and network namespaces); the other fields are used as for estiba_launch (merged,
   overlay_options, hostname and the /etc files are ignored). Returns the pid to wait for, or -errno. */
pid_t estiba_exec(const struct estiba_launch *config, pid_t target_pid);

/* Loads a BPF_PROG_TYPE_CGROUP_DEVICE program that allows exactly `rules` (everything else is denied) and
   attaches it to the cgroup v2 directory `cgroup_fd`. Returns 0, or -errno; the verifier's log goes to `log`. */
int estiba_attach_device_filter(int cgroup_fd, const struct estiba_device_rule *rules, int nrules, char *log, size_t log_size);

/* A sealed memfd (nothing can change it, and it is no file on the host) holding the estiba-entry program's ELF
   image. Returns a CLOEXEC descriptor, or -errno. */
int estiba_entry_memfd(const unsigned char *image, size_t length);

/* Deletes the network interface `name` of the caller's network namespace (a veth's peer goes with it): 0, also
   when there is none, or -errno. */
int estiba_link_delete(const char *name);

/* Takes the network interface `name` of the caller's network namespace down (a bridge stops forwarding to and from
   it at once): 0, also when there is none, or -errno. */
int estiba_link_set_down(const char *name);

/* Binds a TCP (udp 0) or UDP socket to address:port (NULL or "": every address; port 0: any free one) and
   closes it: the port that was free, ESTIBA_PORT_TAKEN when it is in use, or -errno. */
#define ESTIBA_PORT_TAKEN (-100000)
int estiba_probe_port(const char *address, int port, int udp);

/* Receives a descriptor sent with SCM_RIGHTS; -1 on failure. */
int estiba_receive_fd(int socket);

/* WEXITSTATUS etc. for Swift: the exit code, or 128 + signal. */
int estiba_exit_code(int wait_status);

#endif
