// The tool's name and version, from package.json (bundled at build time).
import packageJson from '../../../package.json';

export const TOOL_NAME = 'robustness-lens';
export const TOOL_VERSION: string = packageJson.version;
