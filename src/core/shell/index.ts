// Shell words: quoting, argv joining and splitting, environment-variable names. A leaf: it imports nothing from the
// rest of src/core, so engines, remote, sim and report can all use it.
export { shellJoin, shellPath, shellQuote } from './quote';
export { ShellSyntaxError, splitShellWords } from './words';
export { ENV_NAME, EnvNameError, envArgv, envNameProblem, isEnvName } from './env';
export { sshHostNameProblem, sshUserProblem } from './names';
