// ESLint flat config: typescript-eslint (type-aware), React hooks, and the feature boundaries.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import importX from "eslint-plugin-import-x";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const FEATURES = ["auth", "portfolio", "trades", "strategies", "news", "backtest", "settings", "operations"];

// bulletproof-react's rule: a feature uses shared code (api, components, lib, hooks) and itself,
// never another feature; only src/app composes features. Shared code never imports a feature.
const featureBoundaries = [
  ...FEATURES.map((feature) => ({
    target: `./src/features/${feature}`,
    from: "./src/features",
    except: [`./${feature}`],
    message: "A feature may not import another feature; move shared code to src/{api,components,lib,hooks}.",
  })),
  {
    target: ["./src/api", "./src/components", "./src/lib", "./src/hooks"],
    from: ["./src/features", "./src/app"],
    message: "Shared code may not import features or the app shell.",
  },
];

export default defineConfig(
  { ignores: ["dist", "node_modules", "test-results", "src/api/schema.ts"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ["./tsconfig.json", "./tsconfig.node.json"],
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.browser },
    },
    plugins: { "import-x": importX, "react-hooks": reactHooks },
    settings: {
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })],
    },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "import-x/no-restricted-paths": ["error", { zones: featureBoundaries }],
      "import-x/no-cycle": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
    },
  },
  {
    files: ["e2e/**", "scripts/**", "*.config.{ts,js}"],
    languageOptions: { globals: { ...globals.node } },
  },
);
