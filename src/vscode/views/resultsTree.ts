import * as vscode from 'vscode';

/** The Results view; empty until results exist, so VS Code shows the view's welcome content. */
export class ResultsTreeProvider implements vscode.TreeDataProvider<vscode.TreeItem> {
  getTreeItem(element: vscode.TreeItem): vscode.TreeItem {
    return element;
  }

  getChildren(): vscode.TreeItem[] {
    return [];
  }
}
