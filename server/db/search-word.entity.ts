import { EntitySchema } from '@mikro-orm/core';

/**
 * The typo dictionary (symmetric delete): each distinct folded customer word of 4+ characters,
 * under itself and under each string made by deleting one of its characters. A `q` word and its
 * deletions are looked up here to find the words within one edit of it (search/).
 */
export class SearchWordEntity {
  variant!: string;
  word!: string;
}

export const SearchWordSchema = new EntitySchema<SearchWordEntity>({
  class: SearchWordEntity,
  tableName: 'search_words',
  properties: {
    variant: { type: 'text', primary: true },
    word: { type: 'text', primary: true },
  },
  indexes: [{ name: 'search_words_word_index', properties: ['word'] }],
});
