// Host and user names that OpenSSH expands into a ProxyCommand's `sh -c` (%h, %n, %r) unquoted. OpenSSH 9.6 refuses
// shell metacharacters in the names given on its command line (CVE-2023-51385); Serving Lab applies the same rules
// (plus the control characters OpenSSH 10.1 added for users) to every name it connects with, wherever it came from.

const HOST_METACHARACTERS = `'\`"$\\;&<>|(){},`;
const USER_METACHARACTERS = `'\`";&<>|(){}`;

function quoted(c: string): string {
  return /[\p{Cc}\s]/u.test(c) ? JSON.stringify(c) : `"${c}"`;
}

/** Why `name` cannot be a host name or ssh alias (OpenSSH's valid_hostname), or undefined when it can. */
export function sshHostNameProblem(name: string, what = 'host name'): string | undefined {
  const why = (reason: string) => `${JSON.stringify(name)} is not a valid ${what}: ${reason}`;
  if (name === '') return why('it is empty');
  if (name.startsWith('-')) return why('it starts with "-" (ssh would read it as an option)');
  for (const c of name) {
    if (HOST_METACHARACTERS.includes(c) || /[\p{Cc}\s]/u.test(c)) {
      return why(`it contains ${quoted(c)}; host names cannot hold spaces, control characters or shell metacharacters (${HOST_METACHARACTERS}), which a ProxyCommand's shell would run`);
    }
  }
  return undefined;
}

/** Why `user` cannot be a remote user name (OpenSSH's valid_ruser), or undefined when it can. */
export function sshUserProblem(user: string): string | undefined {
  const why = (reason: string) => `${JSON.stringify(user)} is not a valid user name: ${reason}`;
  if (user === '') return why('it is empty');
  if (user.startsWith('-')) return why('it starts with "-" (ssh would read it as an option)');
  if (user.endsWith('\\')) return why('it ends with a backslash');
  if (/\s-/.test(user)) return why('a space is followed by "-" (an option to the ProxyCommand)');
  for (const c of user) {
    if (USER_METACHARACTERS.includes(c) || /\p{Cc}/u.test(c)) {
      return why(`it contains ${quoted(c)}; user names cannot hold control characters or shell metacharacters (${USER_METACHARACTERS}), which a ProxyCommand's shell would run`);
    }
  }
  return undefined;
}
